module plugboard/native/go

go 1.19

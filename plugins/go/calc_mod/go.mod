module plugboard/plugins/go/calc_mod

go 1.19

require plugboard/native/go v0.0.0

replace plugboard/native/go => ../../../native/go

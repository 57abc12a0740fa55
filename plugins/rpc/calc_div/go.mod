module plugboard.example/calc_div

go 1.22

module lmd/gotmpl_ref

go 1.19

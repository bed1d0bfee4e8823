package bpf

// The programs are compiled with Debian's clang for little-endian targets;
// the generated *_bpfel.go and *_bpfel.o are committed so that building the
// module needs no C toolchain. `make generate` (or `go generate ./bpf`)
// reproduces them byte for byte; TestGeneratedUpToDate checks that.
//
//go:generate sh -c "go tool bpf2go -cc clang -strip llvm-strip -target bpfel -cflags '-O2 -g -Wall -Werror -mcpu=v3 -I/usr/include/'$(uname -m)'-linux-gnu' -type steer_config steer steer.c"
//go:generate sh -c "go tool bpf2go -cc clang -strip llvm-strip -target bpfel -cflags '-O2 -g -Wall -Werror -mcpu=v3 -I/usr/include/'$(uname -m)'-linux-gnu' -type guard_config -type lpm4 -type lpm6 -type bucket_key -type bucket guard guard.c"

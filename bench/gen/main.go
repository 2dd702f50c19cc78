// Command gen writes a deterministic synthetic user export (CSV) and,
// optionally, the mapping that imports it.
//
//	go run ./bench/gen -rows 1000000 -out users.csv -mapping users.mapping.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/authgear-migrate/authgear-migrate/bench/usergen"
)

func main() {
	rows := flag.Int("rows", 1000, "number of records")
	out := flag.String("out", "", "output CSV file (default stdout)")
	mapping := flag.String("mapping", "", "also write the mapping for the file here")
	seed := flag.Uint64("seed", 1, "random seed")
	noPhones := flag.Bool("no-phones", false, "leave every phone empty")
	flag.Parse()
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := usergen.Write(w, usergen.Options{Rows: *rows, Seed: *seed, NoPhones: *noPhones}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *mapping != "" {
		if err := os.WriteFile(*mapping, []byte(usergen.Mapping), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// Command csvread is the floor for reading a CSV file in Go: encoding/csv
// over a buffered file, every record read and its fields touched, nothing
// else. bench/dryrun.sh compares replay --dry-run with it.
package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: csvread FILE.csv")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 256<<10))
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	records, bytes := 0, 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		records++
		for _, f := range rec {
			bytes += len(f)
		}
	}
	fmt.Printf("%d records, %d bytes of fields\n", records, bytes)
}

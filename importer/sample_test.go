package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSample: the first records of an export, in its format, 0600;
// the export itself is never the sample's output.
func TestWriteSample(t *testing.T) {
	in := filepath.Join("..", "examples", "users.csv")
	m, err := ReadMappingFile(filepath.Join("..", "examples", "users.mapping.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), SamplePath(in))
	if filepath.Base(out) != "users.sample.csv" {
		t.Fatalf("SamplePath: %s", out)
	}
	n, err := WriteSample(context.Background(), in, m, out, 5)
	if err != nil || n != 5 {
		t.Fatalf("WriteSample: %d, %v", n, err)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	src, err := OpenInput(out, m)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rows := 0
	for {
		if _, err := src.Next(); err != nil {
			break
		}
		rows++
	}
	if rows != 5 {
		t.Errorf("the sample holds %d records", rows)
	}
	var re *RefusedError
	if _, err := WriteSample(context.Background(), in, m, in, 5); !errors.As(err, &re) {
		t.Errorf("the export as the sample's output: %v", err)
	}
}

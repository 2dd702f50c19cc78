package importer

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
)

// SamplePath is the name of a sample of input: INPUT-NAME.sample.EXT in
// the current folder, in the input's format.
func SamplePath(input string) string {
	base := filepath.Base(input)
	ext := filepath.Ext(base)
	return strings.TrimSuffix(base, ext) + ".sample" + ext
}

// WriteSample writes the first n records of input, as they are in the
// export (same format, header and records key), to out, so that a file
// too large for the in-process sandbox can be rehearsed on a part of it
// (RehearseSample). It returns how many records it wrote. out is checked
// as every output is: it replaces no input.
func WriteSample(ctx context.Context, input string, m *Mapping, out string, n int) (int, error) {
	if n <= 0 {
		return 0, &RefusedError{Msg: "a sample holds at least one record"}
	}
	if err := CheckOutputs([]NamedPath{{Path: input, Role: "the export"}}, []NamedPath{{Path: out, Role: "the sample"}}); err != nil {
		return 0, &RefusedError{Msg: err.Error()}
	}
	src, err := OpenInputContext(ctx, input, m)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	w := NewRetryWriter(out, src)
	w.SetRecordsKey(m.Source.RecordsKey)
	for w.Count() < n {
		row, err := src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.Abort()
			return 0, err
		}
		if err := w.Write(row); err != nil {
			w.Abort()
			return 0, err
		}
	}
	if err := w.Close(); err != nil {
		return 0, err
	}
	return w.Count(), nil
}

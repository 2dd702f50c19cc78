package importer_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/authgear-migrate/authgear-migrate/importer"
)

// A dry run: read an export, compile a mapping against its columns, and
// map, normalise, validate and de-duplicate every record. A real run reads
// files with importer.ReadMappingFile and importer.OpenInput.
func Example() {
	mapping, err := importer.ReadMapping(strings.NewReader(`version: 1
identifier: email
fields:
  email:
    from: email
    transforms: [trim, lowercase]
  phone_number:
    from: phone
  given_name:
    from: name
`), "users.mapping.yaml")
	if err != nil {
		log.Fatal(err)
	}
	export := "email,phone,name\n" +
		"Ada@Example.com,+44 7911 123456,Ada\n" +
		"grace@example.com,+44 7911 12,Grace\n" +
		" ADA@example.com ,,Ada again\n" +
		",+1 415 555 2671,Nobody\n"
	src, err := importer.NewSource(strings.NewReader(export), "users.csv", mapping.SourceOptions())
	if err != nil {
		log.Fatal(err)
	}
	defer src.Close()
	plan, err := importer.CompileFor(mapping, src)
	if err != nil {
		log.Fatal(err)
	}
	stats, err := importer.Prepare(context.Background(), src, plan, importer.PrepareOptions{}, func(p *importer.Prepared) error {
		if !p.Valid() {
			fmt.Printf("row %d %s: invalid: %s\n", p.Row.Num, p.Identifier, p.Reason())
			return nil
		}
		record, err := p.Record.AppendJSON(nil)
		if err != nil {
			return err
		}
		if reason := p.Reason(); reason != "" {
			// A value Authgear would refuse is left out of the record.
			fmt.Printf("row %d %s: %s (%s)\n", p.Row.Num, p.Identifier, record, reason)
			return nil
		}
		fmt.Printf("row %d %s: %s\n", p.Row.Num, p.Identifier, record)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d records, %d valid, %d invalid\n", stats.Total, stats.Valid, stats.Invalid)
	// Output:
	// row 1 ada@example.com: {"email":"ada@example.com","phone_number":"+447911123456","given_name":"Ada"}
	// row 2 grace@example.com: {"email":"grace@example.com","given_name":"Grace"} (imported without phone_number: invalid_phone)
	// row 3 ada@example.com: invalid: duplicate of record 1 after normalisation
	// row 4 : invalid: identifier (email) is empty
	// 4 records, 2 valid, 2 invalid
}

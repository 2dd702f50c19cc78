package importer

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 18 item 4: a record's country sets the region its phone numbers
// without + are read in.
func TestRegionOfCountry(t *testing.T) {
	for v, want := range map[string]string{
		"MX": "MX", "mx": "MX", " MX ": "MX", "MEX": "MX", "+52": "MX", "52": "MX", "052": "",
		"Mexico": "MX", "México": "MX", "Deutschland": "DE", "Germany": "DE",
		"United States": "US", "United States of America": "US", "USA": "US", "UK": "GB", "United Kingdom": "GB",
		"Korea, Republic of": "KR", "Hong Kong": "HK", "Côte d’Ivoire": "CI", "日本": "JP",
		"Atlantis": "", "": "", "ZZ": "", "XX": "", "1234": "",
	} {
		if got := RegionOfCountry(v); got != want {
			t.Errorf("RegionOfCountry(%q) = %q, want %q", v, got, want)
		}
	}
}

// A Shopify customer export: "Phone" holds local numbers, "Country Code"
// each customer's country. map finds the column, and every number whose
// record has a country is read in it.
func TestExportShopifyCountryCodeSetsPhoneRegion(t *testing.T) {
	r := mapAndPrepare(t, "shopify-customers.csv", SuggestOptions{}, nil)
	if r.m.Fields["phone_number"] == nil || r.m.Fields["phone_number"].From != "Phone" {
		t.Fatalf("phone_number = %+v", r.m.Fields["phone_number"])
	}
	if r.m.Phone.RegionFrom != "Country Code" {
		t.Fatalf("phone.region_from = %q, want Country Code", r.m.Phone.RegionFrom)
	}
	if r.note(`read in each record's country, from "Country Code" (phone.region_from): 4 of the 5 sampled numbers without + read so`) == "" {
		t.Errorf("notes %q", r.rep.Notes)
	}
	for _, u := range r.rep.Unmapped {
		if u == "Country Code" {
			t.Errorf("Country Code listed as not mapped")
		}
	}
	for num, want := range map[int]string{1: "+14155550132", 2: "+442079460018", 3: "+14155550133", 4: "+525512345678", 5: "+31201234567"} {
		p := r.rows[num]
		if !p.Valid() || p.Record.PhoneNumber == nil || *p.Record.PhoneNumber != want || p.PhonesDropped != 0 {
			t.Errorf("row %d: phone %v (%s), want %s", num, p.Record.PhoneNumber, p.Reason(), want)
		}
	}
	// Row 6 has no country: its local number stays unreadable (rejected
	// or dropped, as phone.invalid says).
	if p := r.rows[6]; p.Record.PhoneNumber != nil || !strings.Contains(p.Reason(), "imported without phone_number: "+DropNoCountryCode) {
		t.Errorf("row 6: phone %v, %q", p.Record.PhoneNumber, p.Reason())
	}
	if r.stats.Total != 6 || r.stats.Invalid+r.stats.PhonesDropped != 1 {
		t.Errorf("stats %+v: want 1 unreadable phone of 6", r.stats)
	}

	// The phone transform reads the record's country too.
	r = mapAndPrepare(t, "shopify-customers.csv", SuggestOptions{}, func(m *Mapping) {
		m.Fields["phone_number"].Transforms = []Transform{T("phone")}
	})
	if p := r.rows[4]; p.Record.PhoneNumber == nil || *p.Record.PhoneNumber != "+525512345678" {
		t.Errorf("phone transform, row 4: %v (%s)", p.Record.PhoneNumber, p.Reason())
	}
	// The record's country comes first, phone.default_region after it.
	r = mapAndPrepare(t, "shopify-customers.csv", SuggestOptions{}, func(m *Mapping) { m.Phone.DefaultRegion = "GB" })
	for num, want := range map[int]string{3: "+14155550133", 6: "+447400123456"} {
		if p := r.rows[num]; p.Record.PhoneNumber == nil || *p.Record.PhoneNumber != want {
			t.Errorf("with default_region GB, row %d: %v (%s), want %s", num, p.Record.PhoneNumber, p.Reason(), want)
		}
	}
	// Without region_from the local numbers cannot be read.
	r = mapAndPrepare(t, "shopify-customers.csv", SuggestOptions{}, func(m *Mapping) { m.Phone.RegionFrom = "" })
	if r.stats.Invalid+r.stats.PhonesDropped != 5 {
		t.Errorf("without region_from: %+v, want 5 unreadable phones", r.stats)
	}
}

// Country names (English, the country's own, ISO alpha-3) in a nested
// address; a country nobody knows is named in the reason.
func TestExportCountryNamesSetPhoneRegion(t *testing.T) {
	r := mapAndPrepare(t, "country-names.json", SuggestOptions{}, nil)
	if r.m.Phone.RegionFrom != "address.country" {
		t.Fatalf("phone.region_from = %q, want address.country (notes %q)", r.m.Phone.RegionFrom, r.rep.Notes)
	}
	for num, want := range map[int]string{1: "+525512345678", 2: "+49301234567", 3: "+14155550134", 4: "+61412345678", 6: "+81312345678"} {
		p := r.rows[num]
		if !p.Valid() || p.Record.PhoneNumber == nil || *p.Record.PhoneNumber != want {
			t.Errorf("row %d: phone %v (%s), want %s", num, p.Record.PhoneNumber, p.Reason(), want)
		}
	}
	if got := r.rows[5].Reason(); !strings.Contains(got, "imported without phone_number: "+DropUnknownCountry) {
		t.Errorf("row 5: %q", got)
	}
}

// phone.region_from is written, read back, and checked against the
// input's columns like any path.
func TestMappingRegionFrom(t *testing.T) {
	m := NewMapping(IdentifierEmail)
	m.Set("email", "Email")
	m.Set("phone_number", "Phone")
	m.Phone.RegionFrom = "Country Code"
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "region_from: Country Code") {
		t.Fatalf("written:\n%s", buf.String())
	}
	back, err := ReadMapping(&buf, "m.yaml")
	if err != nil || back.Phone.RegionFrom != "Country Code" {
		t.Fatalf("read back: %+v, %v", back.Phone, err)
	}
	src, err := Open(filepath.Join("testdata", "exports", "shopify-customers.csv"), SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	back.Phone.RegionFrom = "Land"
	if _, err := CompileFor(back, src); err == nil || !strings.Contains(err.Error(), "Land") {
		t.Errorf("a missing region_from column: %v", err)
	}
}

// Package usergen writes deterministic, synthetic user exports for tests
// and benchmarks: an N-row CSV with an email, a bcrypt-shaped password
// hash, an E.164 phone for about half the rows, names, booleans and a JSON
// metadata column. The same options always give the same bytes.
package usergen

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
)

// Header is the CSV header Write emits.
const Header = "email,password_hash,phone,first_name,last_name,email_verified,disabled,metadata"

// Mapping is an authgear-migrate mapping for the files Write produces: every
// column is mapped, so a dry run validates every field.
const Mapping = `version: 1
preset: generic
source:
  format: csv
  delimiter: ','
identifier: email
upsert: false
passwords:
  unsupported: drop
fields:
  email:
    from: email
    transforms: [trim, lowercase]
  password.password_hash:
    from: password_hash
  phone_number:
    from: phone
    transforms: [phone]
  given_name:
    from: first_name
    transforms: [trim]
  family_name:
    from: last_name
    transforms: [trim]
  email_verified:
    from: email_verified
    transforms: [bool]
  disabled:
    from: disabled
    transforms: [bool]
  custom_attributes.plan:
    from: metadata.plan
  custom_attributes.score:
    from: metadata.score
`

// Options steers Write.
type Options struct {
	// Rows is the number of records (after the header).
	Rows int
	// Seed picks the names, flags and phones (default 1).
	Seed uint64
	// Domain is the email domain (default example.com).
	Domain string
	// Start offsets the record numbers used in emails and phones, so two
	// files can hold disjoint users.
	Start int
	// NoPhones leaves every phone empty (for a project with only the email
	// login ID enabled, where a phone would be ignored with a warning).
	NoPhones bool
}

var (
	firstNames = []string{"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken",
		"Radia", "Dennis", "Katherine", "Tim", "Hedy", "Linus", "Sophie", "Guido", "Shafi", "Niklaus"}
	lastNames = []string{"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "McCarthy", "Hamilton",
		"Thompson", "Perlman", "Ritchie", "Johnson", "Berners-Lee", "Lamarr", "Torvalds", "Wilson", "van Rossum", "Goldwasser", "Wirth"}
	plans = []string{"free", "pro", "team", "enterprise"}
)

const bcryptAlphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Email is the email of record i (0-based, before Start is added).
func Email(i int, domain string) string {
	if domain == "" {
		domain = "example.com"
	}
	return "user" + strconv.Itoa(i) + "@" + domain
}

// Write writes the header and o.Rows records to w.
func Write(w io.Writer, o Options) error {
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Domain == "" {
		o.Domain = "example.com"
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed*0x9e3779b97f4a7c15))
	bw.WriteString(Header)
	bw.WriteByte('\n')
	var b []byte
	for i := 0; i < o.Rows; i++ {
		n := o.Start + i
		b = b[:0]
		b = append(b, "user"...)
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, '@')
		b = append(b, o.Domain...)
		b = append(b, ",$2a$10$"...)
		for k := 0; k < 53; k++ {
			b = append(b, bcryptAlphabet[rng.IntN(len(bcryptAlphabet))])
		}
		b = append(b, ',')
		if !o.NoPhones && n%2 == 0 {
			// UK mobiles +44 7911 NNNNNN and US +1 415 NXX XXXX: valid
			// numbers, unique per record.
			if n%4 == 0 {
				b = append(b, "+447911"...)
				b = appendPadded(b, (n/4)%1000000, 6)
			} else {
				b = append(b, "+1415"...)
				b = strconv.AppendInt(b, int64(2+(n/4/10000)%8), 10)
				b = appendPadded(b, (n/4)%1000000, 6)
			}
		}
		b = append(b, ',')
		b = append(b, firstNames[rng.IntN(len(firstNames))]...)
		b = append(b, ',')
		b = append(b, lastNames[rng.IntN(len(lastNames))]...)
		b = append(b, ',')
		if rng.IntN(4) != 0 {
			b = append(b, "true"...)
		} else {
			b = append(b, "false"...)
		}
		b = append(b, ',')
		if rng.IntN(50) == 0 {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
		b = append(b, `,"{""plan"":""`...)
		b = append(b, plans[rng.IntN(len(plans))]...)
		b = append(b, `"",""score"":`...)
		b = strconv.AppendInt(b, int64(rng.IntN(1000)), 10)
		b = append(b, "}\"\n"...)
		if _, err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func appendPadded(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for k := len(s); k < width; k++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

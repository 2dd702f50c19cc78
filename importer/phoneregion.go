package importer

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// A phone number's region per record (issue 18 item 4): a record that
// carries its country (Shopify's "Country Code: US", "countryCode: MX",
// "address.country: Mexico") has its numbers written without + read in
// that country, before phone.default_region and before being judged
// unreadable. phone.region_from names the column or path.

// RegionOfCountry returns the ISO 3166 alpha-2 region that phone numbers
// of a country value are read in: an alpha-2 or alpha-3 code (MX, MEX), a
// calling code (+52), or an English country name (Mexico, "United States
// of America"). It returns "" for anything else.
func RegionOfCountry(v string) string {
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "'"))
	if v == "" || len(v) > 60 {
		return ""
	}
	if digits := strings.TrimPrefix(v, "+"); digits != "" && strings.Trim(digits, "0123456789") == "" {
		// A calling code: +52, or 52 (never 052, a national prefix).
		if n, err := strconv.Atoi(digits); err == nil && len(digits) <= 3 && digits[0] != '0' {
			if r := phonenumbers.GetRegionCodeForCountryCode(n); r != "" && r != "ZZ" && r != "001" {
				return r
			}
		}
		return ""
	}
	if len(v) == 2 || len(v) == 3 {
		if r, err := language.ParseRegion(v); err == nil && r.IsCountry() {
			if code := r.String(); phonenumbers.GetCountryCodeForRegion(code) != 0 {
				return code
			}
		}
		if len(v) == 2 {
			switch strings.ToUpper(v) {
			case "UK":
				return "GB"
			}
			return ""
		}
	}
	countryNamesOnce.Do(loadCountryNames)
	return countryNames[countryKey(v)]
}

var (
	countryNamesOnce sync.Once
	countryNames     map[string]string // countryKey(name) → region
)

// countryKey folds a country name for lookup: lower case, letters only,
// "&" read as "and".
func countryKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.ReplaceAll(s, "&", "and")) {
		if r >= 'a' && r <= 'z' || r > 127 && r != '\u00a0' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// countryAliases are the names people write that CLDR's English names
// are not.
var countryAliases = map[string]string{
	"usa": "US", "unitedstatesofamerica": "US", "america": "US", "us": "US",
	"uk": "GB", "greatbritain": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "northernireland": "GB", "britain": "GB",
	"southkorea": "KR", "korearepublicof": "KR", "republicofkorea": "KR", "korea": "KR",
	"russia": "RU", "russianfederation": "RU", "vietnam": "VN", "czechia": "CZ", "czechrepublic": "CZ",
	"holland": "NL", "thenetherlands": "NL", "uae": "AE", "hongkongsar": "HK", "hongkongsarchina": "HK", "macau": "MO",
	"taiwanprovinceofchina": "TW", "iran": "IR", "iranislamicrepublicof": "IR", "turkey": "TR", "turkiye": "TR",
	"ivorycoast": "CI", "cotedivoire": "CI", "burma": "MM", "swaziland": "SZ", "capeverde": "CV",
	"hongkong": "HK", "macao": "MO", "palestine": "PS", "vaticancity": "VA", "laos": "LA", "syria": "SY",
	"moldova": "MD", "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE", "brunei": "BN",
}

func loadCountryNames() {
	countryNames = map[string]string{}
	english := display.English.Regions()
	for code := range phonenumbers.GetSupportedRegions() {
		r, err := language.ParseRegion(code)
		if err != nil {
			continue
		}
		if n := english.Name(r); n != "" {
			countryNames[countryKey(n)] = code
		}
	}
	// The countries' own names (México, Deutschland), in their main
	// language, where they do not clash with an English name.
	for code := range phonenumbers.GetSupportedRegions() {
		r, err := language.ParseRegion(code)
		if err != nil {
			continue
		}
		tag, err := language.Compose(r)
		if err != nil {
			continue
		}
		base, _ := tag.Base()
		namer := display.Regions(language.Make(base.String() + "-" + code))
		if namer == nil {
			continue // no names in that language
		}
		if n := namer.Name(r); n != "" {
			if _, taken := countryNames[countryKey(n)]; !taken {
				countryNames[countryKey(n)] = code
			}
		}
	}
	for k, v := range countryAliases {
		countryNames[k] = v
	}
}

// recordRegion returns the region of row's country (phone.region_from),
// and the value it read ("" when the record has none).
func (p *Plan) recordRegion(row *Row) (region, raw string) {
	if p.regionFrom == nil || row == nil {
		return "", ""
	}
	v, ok := p.regionFrom.lookup(row)
	if !ok || isEmpty(v) {
		return "", ""
	}
	raw = strings.TrimSpace(scalarString(v))
	return RegionOfCountry(raw), raw
}

// normalizePhone reads a phone number of row: a number without + in the
// record's country (phone.region_from), then in region (the phone
// transform's argument, else phone.default_region).
func (p *Plan) normalizePhone(s string, row *Row, region string) (string, error) {
	if region == "" {
		region = p.mapping.Phone.DefaultRegion
	}
	own, raw := p.recordRegion(row)
	if own == "" || own == strings.ToUpper(region) {
		e164, err := p.phones.normalize(s, region)
		if err != nil && raw != "" && own == "" && region == "" && !strings.HasPrefix(strings.TrimSpace(s), "+") {
			return "", fmt.Errorf("has no country code (+...), and the record's country %q (phone.region_from) is not one this tool knows: write the number with +, or the country as an ISO code", Printable(truncateRunes(raw, 40)))
		}
		return e164, err
	}
	e164, err := p.phones.normalize(s, own)
	if err == nil || region == "" {
		return e164, err
	}
	if again, err2 := p.phones.normalize(s, region); err2 == nil {
		return again, nil
	}
	return "", err
}

func truncateRunes(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}

// countryColumnNames are the normalised names (or name endings) of
// columns that hold a record's country, best first: codes before names.
var countryColumnNames = []string{"countrycode", "countryiso", "countryiso2", "isocountrycode", "country", "countryname", "nation"}

// countryColumnRank says how good a column's name is for a country
// (lower is better), or -1 when it names none.
func countryColumnRank(col string) int {
	n := normName(lastSegment(col, false))
	for i, name := range countryColumnNames {
		if n == name {
			return i
		}
	}
	for i, name := range countryColumnNames {
		if strings.HasSuffix(n, name) {
			return len(countryColumnNames) + i // "Default Address Country Code", "billingCountry"
		}
	}
	return -1
}

// suggestPhoneRegion sets phone.region_from when the mapping reads phone
// numbers of which some sampled ones have no +, and a column holds each
// record's country: the column whose countries read the most of those
// numbers (codes before names on a tie). It says so in a note.
func suggestPhoneRegion(src *Source, m *Mapping, rep *SuggestReport) {
	if m.Phone.RegionFrom != "" {
		return
	}
	var phoneCols []string
	for _, k := range []string{"phone_number", "mfa.phone_number"} {
		if f := m.Fields[k]; f != nil && f.From != "" {
			phoneCols = append(phoneCols, f.From)
		}
	}
	if len(phoneCols) == 0 {
		return
	}
	isCSV := src.Format() == FormatCSV
	var phonePaths []*Path
	for _, c := range phoneCols {
		if p, err := compilePath(c, src.Columns(), isCSV); err == nil {
			phonePaths = append(phonePaths, p)
		}
	}
	pn := &phoneNormalizer{possibleOnly: m.Phone.Validation == PhoneIsPossibleNumber, assumeInternational: m.Phone.AssumeInternational}
	rows := src.Sample()
	// The sampled numbers written without +, by row.
	local := map[int][]string{}
	nLocal := 0
	for i, row := range rows {
		for _, p := range phonePaths {
			v, ok := p.lookup(row)
			if !ok || isEmpty(v) {
				continue
			}
			s := strings.TrimSpace(scalarString(v))
			if s == "" || strings.HasPrefix(s, "+") {
				continue
			}
			if _, err := pn.normalize(s, m.Phone.DefaultRegion); err == nil && m.Phone.DefaultRegion != "" {
				continue // the default region reads it already
			}
			local[i] = append(local[i], s)
			nLocal++
		}
	}
	if nLocal == 0 {
		return
	}
	best, bestRead, bestRank := "", 0, 0
	for _, c := range src.Columns() {
		rank := countryColumnRank(c)
		if rank < 0 {
			continue
		}
		p, err := compilePath(c, src.Columns(), isCSV)
		if err != nil {
			continue
		}
		known, values, read := 0, 0, 0
		for i, row := range rows {
			v, ok := p.lookup(row)
			if !ok || isEmpty(v) {
				continue
			}
			values++
			region := RegionOfCountry(scalarString(v))
			if region == "" {
				continue
			}
			known++
			for _, s := range local[i] {
				if _, err := pn.normalize(s, region); err == nil {
					read++
				}
			}
		}
		if values == 0 || known*10 < values*8 || read == 0 {
			continue
		}
		if read > bestRead || read == bestRead && rank < bestRank {
			best, bestRead, bestRank = c, read, rank
		}
	}
	if best == "" {
		return
	}
	m.Phone.RegionFrom = best
	kept := rep.Unmapped[:0]
	for _, c := range rep.Unmapped {
		if c != best {
			kept = append(kept, c)
		}
	}
	rep.Unmapped = kept
	then := "the others (no country this tool knows, or not a number of it) are judged without it"
	if m.Phone.DefaultRegion != "" {
		then = "the others are read in phone.default_region (" + m.Phone.DefaultRegion + ")"
	}
	rep.Notes = append(rep.Notes, fmt.Sprintf("phone numbers written without + are read in each record's country, from %q (phone.region_from): %d of the %d sampled numbers without + read so; %s", best, bestRead, nLocal, then))
}

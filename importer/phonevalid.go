package importer

import (
	"regexp"
	"sync"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// A faster phonenumbers.IsValidNumber for the fast path.
//
// phonenumbers.IsValidNumber spends most of its time outside matching: it
// builds the anchored pattern string on every call, looks it up in a
// mutex-guarded cache (contended when both cores validate), and matches
// each type pattern twice. This is the same algorithm (GetRegionCodeForNumber,
// then IsValidNumberForRegion's getNumberTypeHelper) over patterns compiled
// once. The tests compare it with the library on every region's example
// numbers and perturbations of them.

type phoneDesc struct {
	lengths []int32
	re      *regexp.Regexp
}

func (d *phoneDesc) match(nsn string) bool {
	if d == nil {
		return false
	}
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int32(len(nsn)) == l {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

type phoneRegion struct {
	id            string
	leadingDigits *regexp.Regexp
	general       *phoneDesc
	others        []*phoneDesc // premium, toll free, shared cost, voip, personal, pager, UAN, voicemail
	fixed, mobile *phoneDesc
	sameMobFixed  bool
}

func newPhoneDesc(d *phonenumbers.PhoneNumberDesc) *phoneDesc {
	if d == nil {
		d = &phonenumbers.PhoneNumberDesc{}
	}
	return &phoneDesc{lengths: d.PossibleLength, re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

// typeKnown mirrors getNumberTypeHelper(nsn, md) != UNKNOWN.
func (r *phoneRegion) typeKnown(nsn string) bool {
	if !r.general.match(nsn) {
		return false
	}
	for _, d := range r.others {
		if d.match(nsn) {
			return true
		}
	}
	if r.fixed.match(nsn) {
		return true
	}
	return !r.sameMobFixed && r.mobile.match(nsn)
}

// The regions of a calling code are compiled the first time a number with
// that code is checked: compiling every region's patterns up front would
// keep some 10 MB of regular expressions alive for the few calling codes an
// export uses.
var (
	phoneMetaOnce sync.Once
	phoneMeta     map[phoneMetaKey]*phonenumbers.PhoneMetadata
	phoneRegionMu sync.Mutex
	phoneRegions  [1000]atomic.Pointer[[]*phoneRegion] // by calling code, in GetRegionCodesForCountryCode order
)

type phoneMetaKey struct {
	id string
	cc int
}

func loadPhoneMeta() {
	phoneMeta = map[phoneMetaKey]*phonenumbers.PhoneMetadata{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return
	}
	for _, md := range coll.GetMetadata() {
		phoneMeta[phoneMetaKey{md.GetId(), int(md.GetCountryCode())}] = md
	}
}

// regionsOf returns the compiled regions of calling code cc.
func regionsOf(cc int) []*phoneRegion {
	if cc < 0 || cc >= len(phoneRegions) {
		return nil
	}
	if r := phoneRegions[cc].Load(); r != nil {
		return *r
	}
	phoneMetaOnce.Do(loadPhoneMeta)
	phoneRegionMu.Lock()
	defer phoneRegionMu.Unlock()
	if r := phoneRegions[cc].Load(); r != nil {
		return *r
	}
	var regions []*phoneRegion
	for _, id := range phonenumbers.GetRegionCodesForCountryCode(cc) {
		md := phoneMeta[phoneMetaKey{id, cc}]
		if md == nil {
			continue
		}
		r := &phoneRegion{
			id:           id,
			general:      newPhoneDesc(md.GetGeneralDesc()),
			fixed:        newPhoneDesc(md.GetFixedLine()),
			mobile:       newPhoneDesc(md.GetMobile()),
			sameMobFixed: md.GetSameMobileAndFixedLinePattern(),
		}
		for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail()} {
			r.others = append(r.others, newPhoneDesc(d))
		}
		if ld := md.GetLeadingDigits(); ld != "" {
			r.leadingDigits = regexp.MustCompile("^(?:" + ld + ")")
		}
		regions = append(regions, r)
	}
	phoneRegions[cc].Store(&regions)
	return regions
}

// fastIsValidNumber reports what phonenumbers.IsValidNumber reports for the
// number +<cc><nsn>, where nsn has no leading zero.
func fastIsValidNumber(cc int, nsn string) bool {
	regions := regionsOf(cc)
	switch len(regions) {
	case 0:
		return false
	case 1:
		return regions[0].typeKnown(nsn)
	}
	// getRegionCodeForNumberFromRegionList: the first region whose leading
	// digits match, or (without leading digits) whose types match.
	for _, r := range regions {
		if r.leadingDigits != nil {
			if r.leadingDigits.MatchString(nsn) {
				return r.typeKnown(nsn)
			}
		} else if r.typeKnown(nsn) {
			return true
		}
	}
	return false
}

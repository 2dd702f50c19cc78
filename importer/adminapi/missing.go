package adminapi

// Setting is a setting of an Admin API target, named so that each front
// end can word it: the command line with its variable and flag, the
// wizard with its field.
type Setting int

const (
	SettingEndpoint Setting = iota + 1
	SettingProjectID
	SettingKeyID
	SettingKey
)

// MissingError says that a setting was not given. Its text names the
// environment variable (the command line's words); Setting is for other
// front ends.
type MissingError struct {
	Setting Setting
	msg     string
}

func (e *MissingError) Error() string { return e.msg }

// Missing lists the settings err (or the errors it joins or wraps) says
// are missing, in order.
func Missing(err error) []Setting {
	var out []Setting
	var walk func(error)
	walk = func(err error) {
		if err == nil {
			return
		}
		switch u := err.(type) {
		case *MissingError:
			out = append(out, u.Setting)
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

package adminapi

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// TestMissingSettings: the settings a config lacks are typed, so that a
// front end can name its own fields; the text names the variables.
func TestMissingSettings(t *testing.T) {
	_, _, err := LoadCredentials(Config{})
	_, perr := ParseEndpoint("")
	all := fmt.Errorf("refused: %w", errors.Join(perr, err))
	if got := Missing(all); !reflect.DeepEqual(got, []Setting{SettingEndpoint, SettingProjectID, SettingKey, SettingKeyID}) {
		t.Errorf("Missing = %v", got)
	}
	if Missing(errors.New("other")) != nil {
		t.Error("an untyped error is no missing setting")
	}
}

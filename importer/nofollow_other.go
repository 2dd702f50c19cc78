//go:build !unix

package importer

// oNoFollow: this system has no O_NOFOLLOW; the callers check with Lstat
// first.
const oNoFollow = 0

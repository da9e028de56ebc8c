// Package shorthash is the operator's one truncated hash: the first 8 bytes
// of SHA-256, in hex, of strings joined by NUL. Rollout hashes on pod
// templates are made with it.
package shorthash

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Of returns the short hash of parts joined by "\x00".
func Of(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}

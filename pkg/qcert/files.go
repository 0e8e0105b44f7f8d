package qcert

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/atomicfile"
	"github.com/xs2a-dev/xs2a/pkg/pemfile"
)

// SetFiles names the files of a set on disk, in writing order.
var SetFiles = []string{"ca.pem", "ca.key", "qwac.pem", "qwac.key", "qseal.pem", "qseal.key", "server.pem", "server.key"}

// IntermediateFile holds the intermediate CA of a set that has one (its
// key is not kept: nothing else is issued from it).
const IntermediateFile = "intermediate.pem"

// Files lists the files Write writes, in order: SetFiles, then the
// intermediate's certificate when the set has one.
func (s *Set) Files() []string {
	if s.Intermediate == nil {
		return SetFiles
	}
	return append(slices.Clone(SetFiles), IntermediateFile)
}

// Write stores the set in dir (created 0700): keys 0600, certificates 0644,
// each file atomically. Without force an existing file stops it before
// anything is written.
func (s *Set) Write(dir string, force bool) error {
	files := s.Files()
	if !force {
		var existing []string
		for _, n := range files {
			if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
				existing = append(existing, n)
			}
		}
		if len(existing) > 0 {
			return fmt.Errorf("%s already holds %s: %w", dir, strings.Join(existing, ", "), atomicfile.ErrExists)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var qwacPEM []byte
	for _, c := range s.QWACChain() {
		qwacPEM = append(qwacPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	content := map[string][]byte{
		"ca.pem": s.CA.CertPEM(), "ca.key": s.CA.KeyPEM(), "qwac.pem": qwacPEM, "qwac.key": s.QWAC.KeyPEM(),
		"qseal.pem": s.QSeal.CertPEM(), "qseal.key": s.QSeal.KeyPEM(), "server.pem": s.Server.CertPEM(), "server.key": s.Server.KeyPEM(),
	}
	if s.Intermediate != nil {
		content[IntermediateFile] = s.Intermediate.CertPEM()
	}
	for _, n := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(n, ".key") {
			mode = 0o600
		}
		write := atomicfile.WriteNew
		if force {
			write = atomicfile.WriteFile
		}
		if err := write(filepath.Join(dir, n), content[n], mode); err != nil {
			if !force {
				// None of the set existed before: take back the files this
				// call wrote, so a retry without --force is not refused.
				for _, w := range files {
					if w == n {
						break
					}
					_ = os.Remove(filepath.Join(dir, w))
				}
			}
			return err
		}
	}
	return nil
}

// LoadSet reads a set written by Write (or by `xs2a certs generate`).
func LoadSet(dir string) (*Set, error) {
	load := func(name string) (*Issued, error) {
		c, err := pemfile.ReadCertificate(filepath.Join(dir, name+".pem"))
		if err != nil {
			return nil, err
		}
		k, err := pemfile.ReadRSAKey(filepath.Join(dir, name+".key"))
		if err != nil {
			return nil, err
		}
		if !KeyMatches(c, k) {
			return nil, fmt.Errorf("%s: the key does not belong to %s.pem", filepath.Join(dir, name+".key"), name)
		}
		return &Issued{Cert: c, Key: k}, nil
	}
	s := &Set{}
	var err error
	for _, p := range []struct {
		name string
		dst  **Issued
	}{{"ca", &s.CA}, {"qwac", &s.QWAC}, {"qseal", &s.QSeal}, {"server", &s.Server}} {
		if *p.dst, err = load(p.name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// ErrSetMissing reports that dir holds no set at all.
var ErrSetMissing = errors.New("no certificate set")

// SetExists reports whether dir holds every file of a set, and an error
// naming the missing ones when it holds only some.
func SetExists(dir string) (bool, error) {
	var missing []string
	for _, n := range SetFiles {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			missing = append(missing, n)
		}
	}
	switch len(missing) {
	case 0:
		return true, nil
	case len(SetFiles):
		return false, nil
	}
	return false, fmt.Errorf("%s holds an incomplete certificate set: %s missing", dir, strings.Join(missing, ", "))
}

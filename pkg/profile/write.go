package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/xs2a-dev/xs2a/pkg/atomicfile"
	"go.yaml.in/yaml/v3"
)

// UpdateFile sets keys of one profile in a YAML config file, creating the
// file, the profiles map or the profile as needed. Comments and every other
// setting are kept. The file is replaced atomically with mode 0600, since a
// profile may hold a client secret.
func UpdateFile(path, name string, kv map[string]string) error {
	var doc yaml.Node
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		b = nil
	case err != nil:
		return err
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s is not valid YAML: %w", path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s: the top level is not a mapping", path)
	}
	profiles := mapping(root, "profiles")
	p := mapping(profiles, strings.ToLower(name))
	for _, k := range Keys {
		v, ok := kv[k]
		if !ok {
			continue
		}
		target := p
		leaf := k
		if sub, l, nested := strings.Cut(k, "."); nested {
			target, leaf = mapping(p, sub), l
		}
		setScalar(target, leaf, v)
	}
	for k := range kv {
		found := false
		for _, known := range Keys {
			found = found || known == k
		}
		if !found {
			return fmt.Errorf("unknown profile key %q", k)
		}
	}
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out.Bytes(), 0o600)
}

// SetDefaultProfile makes name the config file's top-level profile: when
// the file names none, keeping comments and every other setting; it
// reports the profile: the file names otherwise, which it leaves alone
// ("" when it set it). The file must exist (UpdateFile wrote it).
func SetDefaultProfile(path, name string) (other string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if len(bytes.TrimSpace(b)) > 0 {
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return "", fmt.Errorf("%s is not valid YAML: %w", path, err)
		}
	}
	if doc.Kind == 0 {
		doc = yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{{Kind: yaml.MappingNode}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return "", fmt.Errorf("%s: the top level is not a mapping", path)
	}
	name = strings.ToLower(name)
	for i := 0; i+1 < len(root.Content); i += 2 {
		if strings.EqualFold(root.Content[i].Value, "profile") {
			if v := root.Content[i+1].Value; v != "" {
				return strings.ToLower(v), nil
			}
			root.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Value: name}
			return "", writeDoc(path, &doc)
		}
	}
	// First, where a reader of the file looks for it, under the file's
	// opening comment (which the parser gives the first key).
	key := &yaml.Node{Kind: yaml.ScalarNode, Value: "profile"}
	if len(root.Content) > 0 {
		key.HeadComment, root.Content[0].HeadComment = root.Content[0].HeadComment, ""
	}
	root.Content = append([]*yaml.Node{key, {Kind: yaml.ScalarNode, Value: name}}, root.Content...)
	return "", writeDoc(path, &doc)
}

func writeDoc(path string, doc *yaml.Node) error {
	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, out.Bytes(), 0o600)
}

func mapping(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind != yaml.MappingNode {
				*v = yaml.Node{Kind: yaml.MappingNode}
			}
			return v
		}
	}
	v := &yaml.Node{Kind: yaml.MappingNode}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, v)
	return v
}

func setScalar(m *yaml.Node, key, value string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Value: value}
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Value: value})
}

package profile

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	// v4, not the v3 that writes the file (write.go): v3 reports a syntax
	// error at the line where the enclosing mapping starts, v4 at the line
	// where the parser stopped, which is the line to fix.
	yaml "go.yaml.in/yaml/v4"
)

// GlobalKeys are the keys the top level of a config file may hold besides
// "profiles"; each is also a global flag and an XS2A_* variable.
var GlobalKeys = []string{"profile", "output", "no_color", "verbose", "insecure", "show_secrets", "record"}

// FileError is a config file that does not parse or holds a key xs2a does
// not know: a typo would otherwise be ignored silently and surface later
// as a different problem (a mistyped qwac_cert as a certificate error, a
// mistyped client_secret as another client authentication method).
type FileError struct {
	Line int // 1-based; 0 when unknown
	// Key is the dotted path of the offending key (profiles.NAME.qwac),
	// "" for a syntax error.
	Key string
	Msg string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return e.Msg
}

// CheckFile checks the text of a config file: valid YAML, a mapping at
// the top, and only keys xs2a knows (GlobalKeys, profiles, and Keys in each
// profile). Keys starting with "x-" are left alone at any level, for
// YAML anchors shared between profiles; so are merge keys (<<).
func CheckFile(data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return syntaxError(err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return &FileError{Line: root.Line, Msg: "the top level is not a mapping of keys (profile:, profiles:, ...)"}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		name := strings.ToLower(k.Value)
		switch {
		case ignored(k):
		case name == "profiles":
			if err := checkProfiles(v); err != nil {
				return err
			}
		case slices.Contains(GlobalKeys, name):
			if v.Kind != yaml.ScalarNode {
				return &FileError{Line: v.Line, Key: name, Msg: fmt.Sprintf("%s must be a single value", name)}
			}
		case slices.Contains(Keys, name) || slices.Contains(sections(), name):
			return &FileError{Line: k.Line, Key: k.Value, Msg: fmt.Sprintf("%s is a profile key: put it under profiles: NAME:", k.Value)}
		default:
			return unknown(k, k.Value, append(slices.Clone(GlobalKeys), "profiles"))
		}
	}
	return nil
}

func checkProfiles(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return &FileError{Line: n.Line, Key: "profiles", Msg: "profiles must be a mapping of profile names to profiles"}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if ignored(k) {
			continue
		}
		if err := checkProfile(strings.ToLower(k.Value), v); err != nil {
			return err
		}
	}
	return nil
}

// sections are the nested mappings of a profile (signing:, budget:).
func sections() []string {
	var s []string
	for _, k := range Keys {
		if sec, _, ok := strings.Cut(k, "."); ok && !slices.Contains(s, sec) {
			s = append(s, sec)
		}
	}
	return s
}

func checkProfile(name string, n *yaml.Node) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias // profiles: {b: *a}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	where := "profiles." + name
	if n.Kind != yaml.MappingNode {
		return &FileError{Line: n.Line, Key: where, Msg: fmt.Sprintf("profile %q must be a mapping of keys (base_url:, client_id:, ...)", name)}
	}
	var top []string // the keys a profile holds at its own level
	for _, k := range Keys {
		if !strings.Contains(k, ".") {
			top = append(top, k)
		}
	}
	top = append(top, sections()...)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := strings.ToLower(k.Value)
		switch {
		case ignored(k):
		case slices.Contains(sections(), key):
			if err := checkSection(name, key, v); err != nil {
				return err
			}
		case slices.Contains(top, key):
			if err := checkValue(name, key, v); err != nil {
				return err
			}
		case slices.Contains(Keys, key):
			sec, leaf, _ := strings.Cut(key, ".")
			return &FileError{Line: k.Line, Key: where + "." + k.Value,
				Msg: fmt.Sprintf("key %q in profile %q: write it nested, %s: then %s: under it", k.Value, name, sec, leaf)}
		case slices.Contains(GlobalKeys, key):
			return &FileError{Line: k.Line, Key: where + "." + k.Value,
				Msg: fmt.Sprintf("key %q in profile %q is a global key: put it at the top level of the file", k.Value, name)}
		default:
			// A leaf of a section written at the profile's level
			// (algorithm: for signing: algorithm:) is suggested in full.
			for _, full := range Keys {
				if _, leaf, ok := strings.Cut(full, "."); ok && leaf == key {
					return &FileError{Line: k.Line, Key: where + "." + k.Value,
						Msg: fmt.Sprintf("unknown key %q in profile %q; did you mean %s?", k.Value, name, full)}
				}
			}
			return unknown(k, where+"."+k.Value, top, fmt.Sprintf("in profile %q", name))
		}
	}
	return nil
}

func checkSection(name, sec string, n *yaml.Node) error {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	var leaves []string
	for _, k := range Keys {
		if s, leaf, ok := strings.Cut(k, "."); ok && s == sec {
			leaves = append(leaves, leaf)
		}
	}
	where := "profiles." + name + "." + sec
	if n.Kind != yaml.MappingNode {
		return &FileError{Line: n.Line, Key: where,
			Msg: fmt.Sprintf("%s in profile %q must be a mapping of keys (%s)", sec, name, strings.Join(leaves, ", "))}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := strings.ToLower(k.Value)
		switch {
		case ignored(k):
		case slices.Contains(leaves, key):
			if err := checkValue(name, sec+"."+key, v); err != nil {
				return err
			}
		default:
			return unknown(k, where+"."+k.Value, leaves, fmt.Sprintf("under %s: in profile %q", sec, name))
		}
	}
	return nil
}

// listKeys may be written as a YAML list (the loader joins it with commas).
var listKeys = []string{"registered_redirect_uris", "allowed_origins"}

func checkValue(name, key string, v *yaml.Node) error {
	switch {
	case v.Kind == yaml.ScalarNode || v.Kind == yaml.AliasNode:
		return nil
	case v.Kind == yaml.SequenceNode && slices.Contains(listKeys, key):
		return nil
	}
	return &FileError{Line: v.Line, Key: "profiles." + name + "." + key,
		Msg: fmt.Sprintf("%s in profile %q must be a single value, not a list or mapping", key, name)}
}

// ignored: merge keys and x- keys, which hold YAML anchors.
func ignored(k *yaml.Node) bool {
	return k.Tag == "!!merge" || k.Value == "<<" || strings.HasPrefix(strings.ToLower(k.Value), "x-")
}

func unknown(k *yaml.Node, path string, cands []string, where ...string) error {
	msg := fmt.Sprintf("unknown key %q", k.Value)
	if len(where) > 0 {
		msg += " " + where[0]
	}
	if s := Suggest(strings.ToLower(k.Value), cands); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	} else {
		msg += " (known keys: " + strings.Join(cands, ", ") + ")"
	}
	return &FileError{Line: k.Line, Key: path, Msg: msg}
}

// Suggest is the candidates closest to s: those that s begins (qwac for
// qwac_cert and qwac_key), else those within a small edit distance of it
// (clinet_secret, client-secret); none when nothing is close.
func Suggest(s string, cands []string) []string {
	var pre []string
	for _, c := range cands {
		if len(s) >= 3 && strings.HasPrefix(c, s) {
			pre = append(pre, c)
		}
	}
	if len(pre) > 0 && len(pre) <= 3 {
		return pre
	}
	best, bestD := []string(nil), max(2, len(s)/3)+1
	for _, c := range cands {
		d := levenshtein(s, c)
		switch {
		case d < bestD:
			best, bestD = []string{c}, d
		case d == bestD && best != nil:
			best = append(best, c)
		}
	}
	if len(best) > 3 {
		return nil
	}
	return best
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// syntaxError is a YAML error at the line the parser stopped, with the
// construct it was in when that began on another line (an unclosed quote).
func syntaxError(err error) error {
	var le *yaml.LoadError
	if errors.As(err, &le) {
		msg := le.Message
		if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark.Line != le.Mark.Line {
			msg += fmt.Sprintf(" (%s from line %d)", le.ContextMsg, le.ContextMark.Line)
		}
		return &FileError{Line: le.Mark.Line, Msg: "not valid YAML: " + msg}
	}
	return &FileError{Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

// FileProfiles is the profile names a config file defines, lowercased as
// the loader reads them, in the file's order, and its top-level profile:
// ("" when none); nothing when it does not parse.
func FileProfiles(data []byte) (names []string, def string) {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, ""
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := strings.ToLower(root.Content[i].Value), root.Content[i+1]
		switch {
		case k == "profile" && v.Kind == yaml.ScalarNode:
			def = strings.ToLower(v.Value)
		case k == "profiles" && v.Kind == yaml.MappingNode:
			for j := 0; j+1 < len(v.Content); j += 2 {
				if !ignored(v.Content[j]) {
					names = append(names, strings.ToLower(v.Content[j].Value))
				}
			}
		}
	}
	return names, def
}

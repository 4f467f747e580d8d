package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// ParseDotenv reads KEY=VALUE lines as in a .env file: blank lines and
// lines starting with # are skipped, "export " before a key is allowed,
// values may be in double quotes (with \n, \t, \" and \\ escapes) or single
// quotes (taken literally), and an unquoted value ends at " #". A later
// line wins over an earlier one. Errors name the line.
func ParseDotenv(r io.Reader) (map[string]string, error) {
	env := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // editors on Windows add a BOM
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: expected KEY=VALUE", n)
		}
		key = strings.TrimSpace(key)
		if !isEnvKey(key) {
			return nil, fmt.Errorf("line %d: %q is not a variable name", n, key)
		}
		v, err := dotenvValue(strings.TrimSpace(val))
		if err != nil {
			// Never quote the value: it may be a secret.
			return nil, fmt.Errorf("line %d: %s: %w", n, key, err)
		}
		env[key] = v
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return env, nil
}

// isEnvKey reports whether key is a shell variable name, all a .env file
// may set.
func isEnvKey(key string) bool {
	for i, r := range key {
		switch {
		case r == '_', r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return key != ""
}

func dotenvValue(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	switch q := v[0]; q {
	case '"', '\'':
		end := closingQuote(v, q)
		if end < 0 {
			return "", fmt.Errorf("the value has no closing %c", q)
		}
		if rest := strings.TrimSpace(v[end+1:]); rest != "" && !strings.HasPrefix(rest, "#") {
			return "", errors.New("unexpected text after the closing quote")
		}
		if q == '\'' {
			return v[1:end], nil
		}
		return unescape(v[1:end]), nil
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v), nil
}

// closingQuote finds the quote ending v, which starts with q; inside double
// quotes a backslash escapes the next character.
func closingQuote(v string, q byte) int {
	for i := 1; i < len(v); i++ {
		switch {
		case q == '"' && v[i] == '\\':
			i++
		case v[i] == q:
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default: // \" \\ and anything else: the character itself
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// readDotenv parses the .env file at path; a missing file is no error and
// no settings.
func readDotenv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	env, err := ParseDotenv(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return env, nil
}

// overlay returns a getenv for LoadConfig in which the real environment
// (lookup) wins over the .env file's values: the file holds a machine's
// defaults, the environment a single run's choices. A variable set to the
// empty string in the environment still wins.
func overlay(lookup func(string) (string, bool), file map[string]string) func(string) string {
	return func(key string) string {
		if v, ok := lookup(key); ok {
			return v
		}
		return file[key]
	}
}

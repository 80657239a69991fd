// dockerignore-match prints, as JSON, how BuildKit reads and applies .dockerignore files:
// moby/patternmatcher's ignorefile.ReadAll (what dockerui hands BuildKit's local source)
// and patternmatcher.New + MatchesUsingParentResults, applied to each parent directory
// and then the path, as fsutil's walker decides what the local source sends.
//
// Input (standard input): [{"ignore": "<file text>", "paths": ["<context path>", ...]}]
// Output: [{"patterns": [...], "error": "<first error, or empty>", "excluded": [...]}]
package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

type testCase struct {
	Ignore string   `json:"ignore"`
	Paths  []string `json:"paths"`
}

type result struct {
	Patterns []string `json:"patterns"`
	Error    string   `json:"error"`
	Excluded []bool   `json:"excluded"`
}

// walkMatch is fsutil's decision for `path`: each parent directory, then the path itself,
// matched with the results of the one above it.
func walkMatch(matcher *patternmatcher.PatternMatcher, path string) (bool, error) {
	parts := strings.Split(path, "/")
	info := patternmatcher.MatchInfo{}
	excluded := false
	for i := range parts {
		var err error
		excluded, info, err = matcher.MatchesUsingParentResults(strings.Join(parts[:i+1], "/"), info)
		if err != nil {
			return false, err
		}
	}
	return excluded, nil
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	results := []result{}
	for _, c := range cases {
		r := result{Patterns: []string{}, Excluded: []bool{}}
		patterns, err := ignorefile.ReadAll(bytes.NewReader([]byte(c.Ignore)))
		if err == nil {
			r.Patterns = append(r.Patterns, patterns...)
			var matcher *patternmatcher.PatternMatcher
			matcher, err = patternmatcher.New(patterns)
			for _, path := range c.Paths {
				if err != nil {
					break
				}
				var excluded bool
				excluded, err = walkMatch(matcher, path)
				r.Excluded = append(r.Excluded, excluded)
			}
		}
		if err != nil {
			r.Error = err.Error()
			r.Excluded = []bool{}
		}
		results = append(results, r)
	}
	encoder := json.NewEncoder(os.Stdout)
	encoder.SetIndent("", " ")
	if err := encoder.Encode(results); err != nil {
		panic(err)
	}
}

// Command buildkit-parse prints, as JSON, how BuildKit's own Dockerfile parser
// (moby/buildkit frontend/dockerfile/parser) reads each Dockerfile named on the
// command line: instructions with their 1-based start and end lines, heredocs,
// warnings, parser directives and the escape character. buildkit-pyenv keeps its
// output as test fixtures, so its own reader can be checked against BuildKit's.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

type heredoc struct {
	Name   string `json:"name"`
	Expand bool   `json:"expand"`
	Chomp  bool   `json:"chomp"`
	FD     uint   `json:"fd"`
}

type instruction struct {
	Keyword  string    `json:"keyword"`
	Start    int       `json:"start"`
	End      int       `json:"end"`
	Original string    `json:"original"`
	Flags    []string  `json:"flags"`
	Heredocs []heredoc `json:"heredocs"`
	// For ONBUILD: the instruction it wraps, as BuildKit reads it.
	Trigger *instruction `json:"trigger,omitempty"`
}

type directive struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Line  int    `json:"line"`
}

type warning struct {
	Short string `json:"short"`
	Line  int    `json:"line"`
}

type result struct {
	Escape       string        `json:"escape"`
	Directives   []directive   `json:"directives"`
	Syntax       string        `json:"syntax"`
	Instructions []instruction `json:"instructions"`
	Warnings     []warning     `json:"warnings"`
	Error        string        `json:"error,omitempty"`
	// Where the error is, 1-based lines, when BuildKit says.
	ErrorStart int `json:"error_start,omitempty"`
	ErrorEnd   int `json:"error_end,omitempty"`
}

func convert(node *parser.Node) instruction {
	out := instruction{
		Keyword:  node.Value,
		Start:    node.StartLine,
		End:      node.EndLine,
		Original: node.Original,
		Flags:    append([]string{}, node.Flags...),
		Heredocs: []heredoc{},
	}
	for _, h := range node.Heredocs {
		out.Heredocs = append(out.Heredocs, heredoc{h.Name, h.Expand, h.Chomp, h.FileDescriptor})
	}
	if strings.EqualFold(node.Value, "onbuild") && node.Next != nil && len(node.Next.Children) > 0 {
		child := convert(node.Next.Children[0])
		out.Trigger = &child
	}
	return out
}

// directives lists the parser directives the way Parse itself finds them: each line
// from the top, leading white space removed, until the first line that is not one.
func directives(data []byte) []directive {
	found := []directive{}
	var dp parser.DirectiveParser
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	for _, line := range bytes.SplitAfter(data, []byte("\n")) {
		line = bytes.TrimLeftFunc(bytes.TrimRight(line, "\r\n"), unicode.IsSpace)
		d, err := dp.ParseLine(line)
		if err != nil || d == nil {
			break
		}
		found = append(found, directive{d.Name, d.Value, d.Location[0].Start.Line})
	}
	return found
}

func parseFile(path string) (result, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return result{}, err
	}
	res := result{Directives: directives(data), Instructions: []instruction{}, Warnings: []warning{}}
	res.Syntax, _, _, _ = parser.DetectSyntax(data)
	parsed, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		res.Error = err.Error()
		var located *parser.LocationError
		if errors.As(err, &located) && len(located.Locations) > 0 && len(located.Locations[0]) > 0 {
			res.ErrorStart = located.Locations[0][0].Start.Line
			res.ErrorEnd = located.Locations[0][0].End.Line
		}
		return res, nil
	}
	res.Escape = string(parsed.EscapeToken)
	for _, node := range parsed.AST.Children {
		res.Instructions = append(res.Instructions, convert(node))
	}
	for _, w := range parsed.Warnings {
		line := 0
		if w.Location != nil {
			line = w.Location.Start.Line
		}
		res.Warnings = append(res.Warnings, warning{w.Short, line})
	}
	return res, nil
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: buildkit-parse DOCKERFILE")
		os.Exit(2)
	}
	res, err := parseFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	out.SetIndent("", "  ")
	if err := out.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

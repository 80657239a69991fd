// Command buildkit-expand prints, as JSON, how BuildKit expands build arguments: its
// shell lexer (moby/buildkit frontend/dockerfile/shell) on single words, its parser's
// split of an ARG line into words, and the values a series of global ARG lines give
// (as dockerfile2llb's buildMetaArgs evaluates them). buildkit-pyenv keeps the output
// as test fixtures, so its own expansion (buildkit_frontend/buildargs.py) can be
// checked against BuildKit's.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// A case: Kind "word" expands Input with Env; "words" splits the arguments of an ARG
// line (Input) into its words; "args" evaluates the ARG lines of Input (a Dockerfile
// preamble) with BuildArgs. Escape is the Dockerfile's escape character (default \).
type testCase struct {
	Name      string            `json:"name"`
	Kind      string            `json:"kind"`
	Input     string            `json:"input"`
	Escape    string            `json:"escape,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	BuildArgs map[string]string `json:"build_args,omitempty"`
}

type outcome struct {
	Name   string            `json:"name"`
	Result *string           `json:"result,omitempty"`
	Words  []string          `json:"words,omitempty"`
	Values map[string]string `json:"values,omitempty"`
	Error  string            `json:"error,omitempty"`
}

type env map[string]string

func (e env) Get(key string) (string, bool) { v, ok := e[key]; return v, ok }
func (e env) Keys() []string {
	keys := []string{}
	for k := range e {
		keys = append(keys, k)
	}
	return keys
}

func escapeRune(c testCase) rune {
	if c.Escape == "`" {
		return '`'
	}
	return '\\'
}

func dockerfile(c testCase, body string) string {
	if c.Escape == "`" {
		return "# escape=`\n" + body
	}
	return body
}

func run(c testCase) outcome {
	out := outcome{Name: c.Name}
	switch c.Kind {
	case "word":
		lex := shell.NewLex(escapeRune(c))
		result, _, err := lex.ProcessWord(c.Input, env(c.Env))
		if err != nil {
			out.Error = err.Error()
		} else {
			out.Result = &result
		}
	case "words":
		parsed, err := parser.Parse(strings.NewReader(dockerfile(c, "ARG "+c.Input+"\n")))
		if err != nil {
			out.Error = err.Error()
			return out
		}
		out.Words = []string{}
		for node := parsed.AST.Children[0].Next; node != nil; node = node.Next {
			out.Words = append(out.Words, node.Value)
		}
	case "args":
		parsed, err := parser.Parse(strings.NewReader(dockerfile(c, c.Input)))
		if err != nil {
			out.Error = err.Error()
			return out
		}
		lex := shell.NewLex(parsed.EscapeToken)
		values := env{}
		for _, child := range parsed.AST.Children {
			if !strings.EqualFold(child.Value, "arg") {
				continue
			}
			// instructions.parseArg, then buildMetaArgs
			for node := child.Next; node != nil; node = node.Next {
				key, value, hasValue := strings.Cut(node.Value, "=")
				if v, ok := c.BuildArgs[key]; ok {
					values[key] = v
				} else if hasValue {
					result, err := lex.ProcessWordWithMatches(value, values)
					if err != nil {
						out.Error = err.Error()
						return out
					}
					values[key] = result.Result
				}
			}
		}
		out.Values = values
	default:
		out.Error = "unknown kind " + c.Kind
	}
	return out
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: buildkit-expand CASES.json")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var cases []testCase
	if err := json.Unmarshal(data, &cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	outcomes := []outcome{}
	for _, c := range cases {
		outcomes = append(outcomes, run(c))
	}
	out := json.NewEncoder(os.Stdout)
	out.SetEscapeHTML(false)
	out.SetIndent("", "  ")
	if err := out.Encode(outcomes); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

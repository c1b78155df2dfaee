// gotmpl_ref renders a Go text/template with Go's own text/template, for lmd's tests: its
// output is the reference lmd's C interpreter (src/template/go*.c) must match byte for byte.
//
//	gotmpl_ref json   TEMPLATE DATA.json   data decoded by encoding/json into `any`
//	gotmpl_ref ollama TEMPLATE VALUES.json data built the way Ollama builds template.Values
//
// The ollama mode re-creates (written for these tests, not copied) the value types Ollama's
// template package hands to templates — templateMessage, templateTool, templateArgs, ... with
// their field names, JSON tags and String methods — and Template.Execute's three paths.
// Only the standard library is used, so it builds offline. Exit 1 with the error on stderr.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// ---- api-like input types (the JSON Ollama's API accepts) ----

type inMessage struct {
	Role       string       `json:"role"`
	Content    string       `json:"content"`
	Thinking   string       `json:"thinking,omitempty"`
	Images     []string     `json:"images,omitempty"`
	ToolCalls  []inToolCall `json:"tool_calls,omitempty"`
	ToolName   string       `json:"tool_name,omitempty"`
	ToolCallID string       `json:"tool_call_id,omitempty"`
}

type inToolCall struct {
	ID       string `json:"id,omitempty"`
	Function struct {
		Index     int             `json:"index"`
		Name      string          `json:"name"`
		Arguments *map[string]any `json:"arguments"`
	} `json:"function"`
}

// orderedProps keeps JSON object order, as Ollama's ToolPropertiesMap does.
type orderedProps struct {
	keys []string
	vals map[string]ToolProperty
}

func (o *orderedProps) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("properties: expected an object")
	}
	o.vals = map[string]ToolProperty{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		k := kt.(string)
		var p ToolProperty
		if err := dec.Decode(&p); err != nil {
			return err
		}
		if _, seen := o.vals[k]; !seen {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = p
	}
	_, err = dec.Token()
	return err
}

func (o orderedProps) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o *orderedProps) toMap() map[string]ToolProperty {
	if o == nil {
		return nil
	}
	return o.vals
}

// PropertyType is a JSON schema type: one string or a list.
type PropertyType []string

func (pt *PropertyType) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*pt = []string{s}
		return nil
	}
	var a []string
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	*pt = a
	return nil
}

func (pt PropertyType) MarshalJSON() ([]byte, error) {
	if len(pt) == 1 {
		return json.Marshal(pt[0])
	}
	return json.Marshal([]string(pt))
}

func (pt PropertyType) String() string {
	switch len(pt) {
	case 0:
		return ""
	case 1:
		return pt[0]
	}
	return fmt.Sprintf("%v", []string(pt))
}

type ToolProperty struct {
	AnyOf       []ToolProperty `json:"anyOf,omitempty"`
	Type        PropertyType   `json:"type,omitempty"`
	Items       any            `json:"items,omitempty"`
	Description string         `json:"description,omitempty"`
	Enum        []any          `json:"enum,omitempty"`
	Properties  *orderedProps  `json:"properties,omitempty"`
	Required    []string       `json:"required,omitempty"`
}

func tsType(t string) string {
	switch t {
	case "string":
		return "string"
	case "number", "integer":
		return "number"
	case "boolean":
		return "boolean"
	case "array":
		return "any[]"
	case "object":
		return "Record<string, any>"
	case "null":
		return "null"
	}
	return "any"
}

func (tp ToolProperty) ToTypeScriptType() string {
	if len(tp.AnyOf) > 0 {
		var parts []string
		for _, a := range tp.AnyOf {
			parts = append(parts, a.ToTypeScriptType())
		}
		return strings.Join(parts, " | ")
	}
	if len(tp.Type) == 0 {
		return "any"
	}
	var parts []string
	for _, t := range tp.Type {
		parts = append(parts, tsType(t))
	}
	return strings.Join(parts, " | ")
}

type inTool struct {
	Type     string `json:"type"`
	Items    any    `json:"items,omitempty"`
	Function struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
		Parameters  struct {
			Type       string        `json:"type"`
			Defs       any           `json:"$defs,omitempty"`
			Items      any           `json:"items,omitempty"`
			Required   []string      `json:"required,omitempty"`
			Properties *orderedProps `json:"properties"`
		} `json:"parameters"`
	} `json:"function"`
}

type inValues struct {
	Messages   []inMessage `json:"messages"`
	Tools      []inTool    `json:"tools"`
	Prompt     string      `json:"prompt"`
	Suffix     string      `json:"suffix"`
	Think      bool        `json:"think"`
	ThinkLevel string      `json:"think_level"`
	IsThinkSet bool        `json:"is_think_set"`
}

// ---- the types templates see (field names, tags and String methods as Ollama's) ----

type templateTools []templateTool

func (t templateTools) String() string { b, _ := json.Marshal(t); return string(b) }

type templateArgs map[string]any

func (t templateArgs) String() string {
	if t == nil {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}

type templateProperties map[string]ToolProperty

func (t templateProperties) String() string {
	if t == nil {
		return "{}"
	}
	b, _ := json.Marshal(t)
	return string(b)
}

type templateTool struct {
	Type     string               `json:"type"`
	Items    any                  `json:"items,omitempty"`
	Function templateToolFunction `json:"function"`
}

func (t templateTool) String() string { b, _ := json.Marshal(t); return string(b) }

type templateToolFunction struct {
	Name        string                         `json:"name"`
	Description string                         `json:"description"`
	Parameters  templateToolFunctionParameters `json:"parameters"`
}

type templateToolFunctionParameters struct {
	Type       string             `json:"type"`
	Defs       any                `json:"$defs,omitempty"`
	Items      any                `json:"items,omitempty"`
	Required   []string           `json:"required,omitempty"`
	Properties templateProperties `json:"properties"`
}

type templateToolCall struct {
	ID       string
	Function templateToolCallFunction
}

type templateToolCallFunction struct {
	Index     int
	Name      string
	Arguments templateArgs
}

type ImageData []byte

type templateMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     []ImageData
	ToolCalls  []templateToolCall
	ToolName   string
	ToolCallID string
}

var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"currentDate": func(args ...string) string {
		return time.Now().Format("2006-01-02")
	},
	"yesterdayDate": func(args ...string) string {
		return time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	},
	"toTypeScriptType": func(v any) string {
		if p, ok := v.(ToolProperty); ok {
			return p.ToTypeScriptType()
		}
		if p, ok := v.(*ToolProperty); ok && p != nil {
			return p.ToTypeScriptType()
		}
		return "any"
	},
}

// identifiers mirrors Ollama's Identifiers walk (fields and variables, not chains).
func identifiers(n parse.Node) []string {
	switch n := n.(type) {
	case *parse.ListNode:
		var out []string
		for _, c := range n.Nodes {
			out = append(out, identifiers(c)...)
		}
		return out
	case *parse.TemplateNode:
		if n.Pipe == nil {
			return nil
		}
		return identifiers(n.Pipe)
	case *parse.ActionNode:
		return identifiers(n.Pipe)
	case *parse.IfNode:
		return identifiers(&n.BranchNode)
	case *parse.RangeNode:
		return identifiers(&n.BranchNode)
	case *parse.WithNode:
		return identifiers(&n.BranchNode)
	case *parse.BranchNode:
		out := identifiers(n.Pipe)
		for _, l := range []*parse.ListNode{n.List, n.ElseList} {
			if l != nil {
				out = append(out, identifiers(l)...)
			}
		}
		return out
	case *parse.PipeNode:
		var out []string
		for _, c := range n.Cmds {
			for _, a := range c.Args {
				out = append(out, identifiers(a)...)
			}
		}
		return out
	case *parse.FieldNode:
		return n.Ident
	case *parse.VariableNode:
		return n.Ident
	}
	return nil
}

func vars(t *template.Template) map[string]bool {
	set := map[string]bool{}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		for _, n := range tt.Root.Nodes {
			for _, id := range identifiers(n) {
				set[strings.ToLower(id)] = true
			}
		}
	}
	return set
}

// cutAfterResponse mirrors Ollama's deleteNode: keep up to the first .Response field. An
// else list after the cut is dropped (Ollama itself would fail there).
func cutAfterResponse(root *parse.ListNode) *parse.ListNode {
	cut := false
	pred := func(n parse.Node) bool {
		if f, ok := n.(*parse.FieldNode); ok {
			for _, id := range f.Ident {
				if id == "Response" {
					cut = true
					return false
				}
			}
		}
		return cut
	}
	var walk func(n parse.Node) parse.Node
	walk = func(n parse.Node) parse.Node {
		if pred(n) {
			return nil
		}
		switch t := n.(type) {
		case *parse.ListNode:
			var nodes []parse.Node
			for _, c := range t.Nodes {
				if r := walk(c); r != nil {
					nodes = append(nodes, r)
				}
			}
			t.Nodes = nodes
			return t
		case *parse.IfNode:
			walkBranch(&t.BranchNode, walk)
		case *parse.WithNode:
			walkBranch(&t.BranchNode, walk)
		case *parse.RangeNode:
			walkBranch(&t.BranchNode, walk)
		case *parse.ActionNode:
			p := walk(t.Pipe)
			if p == nil {
				return nil
			}
			t.Pipe = p.(*parse.PipeNode)
		case *parse.PipeNode:
			var cmds []*parse.CommandNode
			for _, c := range t.Cmds {
				var args []parse.Node
				for _, a := range c.Args {
					if r := walk(a); r != nil {
						args = append(args, r)
					}
				}
				if len(args) == 0 {
					return nil
				}
				c.Args = args
				cmds = append(cmds, c)
			}
			if len(cmds) == 0 {
				return nil
			}
			t.Cmds = cmds
		}
		return n
	}
	return walk(root.Copy()).(*parse.ListNode)
}

func walkBranch(b *parse.BranchNode, walk func(parse.Node) parse.Node) {
	if l := walk(b.List); l != nil {
		b.List = l.(*parse.ListNode)
	} else {
		b.List = &parse.ListNode{NodeType: parse.NodeList}
	}
	if b.ElseList != nil {
		if l := walk(b.ElseList); l != nil {
			b.ElseList = l.(*parse.ListNode)
		} else {
			b.ElseList = nil
		}
	}
}

func renderOllama(w io.Writer, src string, data []byte) error {
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return err
	}
	v := vars(tmpl)
	if !v["messages"] && !v["response"] {
		tmpl.Tree.Root.Nodes = append(tmpl.Tree.Root.Nodes, &parse.ActionNode{
			NodeType: parse.NodeAction,
			Pipe: &parse.PipeNode{NodeType: parse.NodePipe, Cmds: []*parse.CommandNode{{
				NodeType: parse.NodeCommand,
				Args:     []parse.Node{&parse.FieldNode{NodeType: parse.NodeField, Ident: []string{"Response"}}},
			}}},
		})
		v = vars(tmpl)
	}
	var in inValues
	if err := json.Unmarshal(data, &in); err != nil {
		return err
	}
	for i := range in.Messages {
		in.Messages[i].Role = strings.ToLower(in.Messages[i].Role)
	}

	// collate
	var system []string
	var collated []*inMessage
	for i := range in.Messages {
		m := &in.Messages[i]
		if m.Role == "system" {
			system = append(system, m.Content)
		}
		if len(collated) > 0 && collated[len(collated)-1].Role == m.Role && m.Role != "tool" {
			collated[len(collated)-1].Content += "\n\n" + m.Content
		} else {
			collated = append(collated, m)
		}
	}
	sys := strings.Join(system, "\n\n")

	if in.Prompt != "" && in.Suffix != "" {
		return tmpl.Execute(w, map[string]any{
			"Prompt": in.Prompt, "Suffix": in.Suffix, "Response": "",
			"Think": in.Think, "ThinkLevel": in.ThinkLevel, "IsThinkSet": in.IsThinkSet,
		})
	}
	if v["messages"] {
		return tmpl.Execute(w, map[string]any{
			"System": sys, "Messages": convertMessages(collated), "Tools": convertTools(in.Tools),
			"Response": "", "Think": in.Think, "ThinkLevel": in.ThinkLevel, "IsThinkSet": in.IsThinkSet,
		})
	}

	var b bytes.Buffer
	var system2, prompt, response string
	exec := func(t *template.Template) error {
		err := t.Execute(&b, map[string]any{
			"System": system2, "Prompt": prompt, "Response": response,
			"Think": in.Think, "ThinkLevel": in.ThinkLevel, "IsThinkSet": in.IsThinkSet,
		})
		system2, prompt, response = "", "", ""
		return err
	}
	for _, m := range collated {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := exec(tmpl); err != nil {
					return err
				}
			}
			system2 = m.Content
		case "user":
			if response != "" {
				if err := exec(tmpl); err != nil {
					return err
				}
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}
	// As Ollama: the cut tree runs in a bare template — no functions of its own, no other
	// definitions, default missingkey.
	tree := &parse.Tree{Root: cutAfterResponse(tmpl.Tree.Root)}
	cutTmpl, err := template.New("").AddParseTree("", tree)
	if err != nil {
		return err
	}
	if err := exec(cutTmpl); err != nil {
		return err
	}
	_, err = io.Copy(w, &b)
	return err
}

func convertMessages(ms []*inMessage) []*templateMessage {
	if ms == nil {
		return nil
	}
	out := make([]*templateMessage, len(ms))
	for i, m := range ms {
		var tcs []templateToolCall
		for _, tc := range m.ToolCalls {
			var args templateArgs
			if tc.Function.Arguments != nil {
				args = templateArgs(*tc.Function.Arguments)
				if args == nil {
					args = templateArgs{}
				}
			}
			tcs = append(tcs, templateToolCall{ID: tc.ID, Function: templateToolCallFunction{
				Index: tc.Function.Index, Name: tc.Function.Name, Arguments: args}})
		}
		var imgs []ImageData
		for _, s := range m.Images {
			imgs = append(imgs, ImageData(s))
		}
		out[i] = &templateMessage{Role: m.Role, Content: m.Content, Thinking: m.Thinking,
			Images: imgs, ToolCalls: tcs, ToolName: m.ToolName, ToolCallID: m.ToolCallID}
	}
	return out
}

func convertTools(ts []inTool) templateTools {
	if ts == nil {
		return nil
	}
	out := make(templateTools, len(ts))
	for i, t := range ts {
		out[i] = templateTool{Type: t.Type, Items: t.Items, Function: templateToolFunction{
			Name: t.Function.Name, Description: t.Function.Description,
			Parameters: templateToolFunctionParameters{
				Type: t.Function.Parameters.Type, Defs: t.Function.Parameters.Defs,
				Items: t.Function.Parameters.Items, Required: t.Function.Parameters.Required,
				Properties: templateProperties(t.Function.Parameters.Properties.toMap()),
			}}}
	}
	return out
}

func renderJSON(w io.Writer, src string, data []byte) error {
	tmpl, err := template.New("").Option("missingkey=zero").Funcs(funcs).Parse(src)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	return tmpl.Execute(w, v)
}

func main() {
	if len(os.Args) != 4 || (os.Args[1] != "json" && os.Args[1] != "ollama") {
		fmt.Fprintln(os.Stderr, "usage: gotmpl_ref json|ollama TEMPLATE DATA.json")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	text := string(src)
	data, err := os.ReadFile(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var out bytes.Buffer
	if os.Args[1] == "json" {
		err = renderJSON(&out, text, data)
	} else {
		err = renderOllama(&out, text, data)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(out.Bytes())
}

package reports

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// OSCAL 1.1.3: the requirement catalog (`cmkcheck catalog --oscal`) and the
// assessment results of a run. Each key judged is one result of the
// assessment results (its own start and end, as its own run has), whose
// subject is the key (an inventory item), with an observation per check
// (the evidence it was judged on, by member and sha256) and a finding per
// requirement that targets the requirement's objective in the catalog.
// A finding is "satisfied" only for PASS: a FAIL, WARN, ERROR (not
// judged) or SKIP (not evaluated) is "not-satisfied", its reason and the
// cmkcheck status saying which.
//
// UUIDs are version 5, derived from what they name (the catalog's
// fingerprint, the run ID, the requirement ID): the same run rendered
// again (cmkcheck report) is the same document, the results point at the
// catalog by a UUID any build of the same catalog gives, and two runs,
// whose run IDs differ, never share one.

const (
	oscalVersion = "1.1.3"
	// oscalNS is the namespace of cmkcheck's own properties.
	oscalNS = projectURI + "/ns/oscal"
	// CatalogFile is the name the assessment results give the catalog
	// file by default: `cmkcheck catalog --oscal` writes it.
	CatalogFile = "cmkcheck-catalog.oscal.json"
)

type oscalProp struct {
	Name  string `json:"name"`
	NS    string `json:"ns,omitempty"`
	Value string `json:"value"`
}

func prop(name, value string) oscalProp {
	return oscalProp{Name: name, NS: oscalNS, Value: propValue(value)}
}

// propValue keeps a property's value as OSCAL's string type wants it:
// no whitespace at either end, and not empty.
func propValue(s string) string {
	s = strings.TrimSpace(oneLine(s))
	if s == "" {
		return "none"
	}
	return s
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type oscalMetadata struct {
	Title        string      `json:"title"`
	LastModified string      `json:"last-modified"`
	Version      string      `json:"version"`
	OSCALVersion string      `json:"oscal-version"`
	Props        []oscalProp `json:"props,omitempty"`
}

// controlID is a requirement's control ID in the catalog: CMK-OPS-1 is
// cmk-ops-1, as OSCAL catalogs write theirs.
func controlID(id string) string { return strings.ToLower(id) }

// catalogUUID is the catalog's UUID, from its fingerprint.
func catalogUUID() string { c := Catalog(); return uuidOf("catalog", c.Version, c.SHA256) }

type oscalPart struct {
	ID    string      `json:"id,omitempty"`
	Name  string      `json:"name"`
	Title string      `json:"title,omitempty"`
	Props []oscalProp `json:"props,omitempty"`
	Prose string      `json:"prose,omitempty"`
}

type oscalControl struct {
	ID    string      `json:"id"`
	Title string      `json:"title"`
	Props []oscalProp `json:"props"`
	Parts []oscalPart `json:"parts"`
}

type oscalGroup struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Controls []oscalControl `json:"controls"`
}

// WriteOSCALCatalog writes the requirement catalog of this build as an
// OSCAL catalog: a group per family, a control per requirement with its
// statement (what is expected), an assessment objective the findings
// target, and guidance (the remediation).
func WriteOSCALCatalog(w io.Writer, toolVersion string, modified time.Time) error {
	rec := Catalog()
	var groups []oscalGroup
	for _, c := range checks.Catalog() {
		family := strings.Split(c.ID, "-")[1]
		if len(groups) == 0 || groups[len(groups)-1].ID != strings.ToLower(family) {
			groups = append(groups, oscalGroup{ID: strings.ToLower(family), Title: "CMK-" + family})
		}
		id := controlID(c.ID)
		g := &groups[len(groups)-1]
		g.Controls = append(g.Controls, oscalControl{
			ID: id, Title: oneLine(c.Title),
			Props: []oscalProp{
				{Name: "label", Value: c.ID},
				prop("severity", string(c.Severity)),
				prop("guide-section", c.Section),
			},
			Parts: []oscalPart{
				{ID: id + "_smt", Name: "statement", Prose: c.Expected},
				{ID: id + "_obj", Name: "assessment-objective", Prose: "The key meets " + c.ID + ": " + c.Expected},
				{ID: id + "_gdn", Name: "guidance", Prose: guidance(c.Remediation)},
			},
		})
	}
	doc := map[string]any{"catalog": map[string]any{
		"uuid": catalogUUID(),
		"metadata": oscalMetadata{
			Title:        "Adobe Experience Platform customer managed key requirements (cmkcheck catalog " + rec.Version + ")",
			LastModified: modified.UTC().Format(time.RFC3339), Version: rec.Version, OSCALVersion: oscalVersion,
			Props: []oscalProp{prop("catalog-sha256", rec.SHA256), prop("tool-version", toolVersion)},
		},
		"groups": groups,
	}}
	b, err := encodeIndent(doc)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

func guidance(r checks.Remediation) string {
	var parts []string
	if r.Console != "" {
		parts = append(parts, "Console: "+r.Console)
	}
	if cli := strings.TrimSpace(r.CLI); cli != "" {
		parts = append(parts, "CLI:\n\n```\n"+cli+"\n```")
	}
	if len(parts) == 0 {
		return "Nothing to change."
	}
	return strings.Join(parts, "\n\n")
}

// oscalWrap is the assessment results without their results.
func oscalWrap(m FormatsMeta, digest string) (head, tail []byte, err error) {
	rec := Catalog()
	ref := m.CatalogReference
	if ref == "" {
		ref = CatalogFile
	}
	resource := uuidOf("catalog-reference", rec.Version, rec.SHA256)
	doc := map[string]any{"assessment-results": map[string]any{
		"uuid": uuidOf("assessment-results", m.RunID, digest),
		"metadata": oscalMetadata{
			Title:        "cmkcheck assessment of AWS KMS customer managed keys for Adobe Experience Platform: " + m.Verdict,
			LastModified: m.End.UTC().Format(time.RFC3339), Version: propValue(m.RunID), OSCALVersion: oscalVersion,
			Props: []oscalProp{
				prop("verdict", m.Verdict), prop("run-id", m.RunID), prop("tool-version", m.ToolVersion), prop("commit", m.Commit),
				prop("catalog-version", rec.Version), prop("catalog-sha256", rec.SHA256), prop("catalog-uuid", catalogUUID()),
			},
		},
		// No assessment plan is written: the plan is the catalog, all of
		// it, which the back matter names.
		"import-ap": map[string]string{"href": "#" + resource},
		"results":   []any{},
		"back-matter": map[string]any{"resources": []any{map[string]any{
			"uuid": resource, "title": "The requirement catalog the keys were assessed against (cmkcheck catalog " + rec.Version + ")",
			"props":  []oscalProp{prop("catalog-uuid", catalogUUID()), prop("catalog-sha256", rec.SHA256)},
			"rlinks": []map[string]string{{"href": ref, "media-type": "application/oscal.catalog+json"}},
		}}},
	}}
	b, err := compact(doc)
	if err != nil {
		return nil, nil, err
	}
	head, tail, err = splitAt(b, `"results":[]`)
	return head, append(tail, '\n'), err
}

// oscalItems is a key's result.
func oscalItems(j Judged) ([][]byte, error) {
	r := j.Run
	ev := evidenceOf(r)
	subject := uuidOf("subject", r.RunID, r.KeyARN)
	item := map[string]any{
		"uuid":        subject,
		"description": "AWS KMS key " + r.KeyARN,
		"props": []oscalProp{
			{Name: "asset-type", Value: "service"},
			prop("key-arn", r.KeyARN), prop("account", r.Account), prop("region", r.Region), prop("target", r.Target.Kind),
		},
	}
	if j.Origin != nil {
		item["description"] = fmt.Sprintf("AWS KMS key %s as %s declares it, before it exists (its ARN is a placeholder)", j.Origin.Name, j.Origin.File)
		item["props"] = append(item["props"].([]oscalProp), prop("declared-in", j.Origin.File+"#"+j.Origin.Name))
	}
	var controls []map[string]string
	var observations, findings []map[string]any
	collected := r.End.UTC().Format(time.RFC3339Nano)
	for _, res := range r.Results {
		obs := uuidOf("observation", r.RunID, res.ID)
		var evidence []map[string]any
		for _, x := range ev.excerpts(res.Evidence) {
			where := x.Member
			if x.Pointer != "" {
				where += " " + x.Pointer
			}
			evidence = append(evidence, map[string]any{
				"description": fmt.Sprintf("Snapshot member %s (sha256 %s) in the results file (sha256 %s): %s", where, x.SHA256, r.ResultsSHA256, x.Value),
				"props":       []oscalProp{prop("member", x.Member), prop("evidence-sha256", x.SHA256), prop("results-sha256", r.ResultsSHA256)},
			})
		}
		o := map[string]any{
			"uuid": obs, "title": oneLine(res.ID + " " + string(res.Status)),
			"description": res.Observed,
			"methods":     []string{"TEST"},
			"types":       []string{"finding"},
			"subjects":    []map[string]string{{"subject-uuid": subject, "type": "inventory-item"}},
			"collected":   collected,
		}
		if len(evidence) > 0 {
			o["relevant-evidence"] = evidence
		}
		observations = append(observations, o)
		state, reason := "not-satisfied", "fail"
		switch res.Status {
		case checks.Pass:
			state, reason = "satisfied", "pass"
		case checks.Error, checks.Skip:
			reason = "other"
		}
		findings = append(findings, map[string]any{
			"uuid": uuidOf("finding", r.RunID, res.ID), "title": oneLine(res.ID + ": " + res.Title),
			"description": fmt.Sprintf("%s %s: %s Expected: %s", res.ID, res.Status, res.Observed, res.Expected),
			"props":       []oscalProp{prop("status", string(res.Status)), prop("severity", string(res.Severity))},
			"target": map[string]any{
				"type": "objective-id", "target-id": controlID(res.ID) + "_obj",
				"status": map[string]string{"state": state, "reason": reason},
			},
			"related-observations": []map[string]string{{"observation-uuid": obs}},
		})
		controls = append(controls, map[string]string{"control-id": controlID(res.ID)})
	}
	result := map[string]any{
		"uuid":  uuidOf("result", r.RunID),
		"title": oneLine("Key " + r.KeyARN + ": " + r.Verdict),
		"description": fmt.Sprintf("cmkcheck run %s judged the key %s (target %s): %s.",
			r.RunID, r.KeyARN, r.Target.Kind, checks.VerdictLine(r.Verdict, r.NotEvaluated)),
		"start":             r.Start.UTC().Format(time.RFC3339Nano),
		"end":               r.End.UTC().Format(time.RFC3339Nano),
		"props":             []oscalProp{prop("verdict", r.Verdict), prop("run-id", r.RunID), prop("results-sha256", r.ResultsSHA256)},
		"local-definitions": map[string]any{"inventory-items": []any{item}},
		"reviewed-controls": map[string]any{"control-selections": []any{map[string]any{"include-controls": controls}}},
		"observations":      observations,
		"findings":          findings,
	}
	if len(controls) == 0 {
		return nil, fmt.Errorf("the run of %s has no results", r.KeyARN)
	}
	b, err := compact(result)
	if err != nil {
		return nil, err
	}
	return [][]byte{b}, nil
}

// oscalUnaudited is a result with no finding: one observation that says
// why nothing was judged.
func oscalUnaudited(u Unaudited) ([]byte, error) {
	subject := uuidOf("subject-unaudited", u.Account, u.Region, u.Name)
	when := u.When.UTC().Format(time.RFC3339Nano)
	result := map[string]any{
		"uuid":        uuidOf("result-unaudited", u.Account, u.Region, u.Name, u.Why),
		"title":       "Not audited: " + oneLine(u.Name),
		"description": u.Name + " was not audited, so none of the requirements was judged: " + u.Why,
		"start":       when,
		"props":       []oscalProp{prop("verdict", "ERROR")},
		"local-definitions": map[string]any{"inventory-items": []any{map[string]any{
			"uuid": subject, "description": "What was selected: " + u.Name,
			"props": []oscalProp{{Name: "asset-type", Value: "service"}, prop("account", u.Account), prop("region", u.Region)},
		}}},
		"reviewed-controls": map[string]any{"control-selections": []any{map[string]any{"include-all": map[string]any{}}}},
		"observations": []any{map[string]any{
			"uuid": uuidOf("observation-unaudited", u.Account, u.Region, u.Name, u.Why), "title": "Not audited",
			"description": u.Why, "methods": []string{"TEST"},
			"subjects":  []map[string]string{{"subject-uuid": subject, "type": "inventory-item"}},
			"collected": when,
		}},
	}
	return compact(result)
}

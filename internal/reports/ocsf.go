package reports

import (
	"fmt"
	"strings"
	"sync"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// OCSF 1.5.0 Compliance Findings (class 2003), one per check of each key,
// as a JSON array (as Prowler writes its OCSF output, which Security Hub
// and Security Lake take). A Compliance Finding, not a Detection Finding
// (2004): each is the result of evaluating a resource against a
// requirement, with the requirement and its pass, warning or fail in the
// compliance object, which is what the class is for; a Detection Finding
// reports a detection (a threat, a vulnerability) and has no compliance
// status. docs/auditors.md says more.

const ocsfVersion = "1.5.0"

// OCSF's enumerations, as py-ocsf-models 0.10.0 numbers them.
const (
	ocsfCategoryFindings  = 2
	ocsfClassCompliance   = 2003
	ocsfActivityCreate    = 1
	ocsfTypeCreate        = ocsfClassCompliance*100 + ocsfActivityCreate
	ocsfFindingStatusNew  = 1
	ocsfSeverityMedium    = 3
	ocsfSeverityHigh      = 4
	ocsfComplianceUnknown = 0
	ocsfCompliancePass    = 1
	ocsfComplianceWarning = 2
	ocsfComplianceFail    = 3
	ocsfComplianceOther   = 99
)

type ocsfFinding struct {
	ActivityID   int             `json:"activity_id"`
	ActivityName string          `json:"activity_name"`
	CategoryUID  int             `json:"category_uid"`
	CategoryName string          `json:"category_name"`
	ClassUID     int             `json:"class_uid"`
	ClassName    string          `json:"class_name"`
	TypeUID      int             `json:"type_uid"`
	TypeName     string          `json:"type_name"`
	Time         int64           `json:"time"`
	StartTime    int64           `json:"start_time"`
	EndTime      int64           `json:"end_time"`
	Message      string          `json:"message"`
	SeverityID   int             `json:"severity_id"`
	Severity     string          `json:"severity"`
	StatusID     int             `json:"status_id"`
	Status       string          `json:"status"`
	StatusCode   string          `json:"status_code"`
	StatusDetail string          `json:"status_detail"`
	Metadata     ocsfMetadata    `json:"metadata"`
	FindingInfo  ocsfFindingInfo `json:"finding_info"`
	Compliance   ocsfCompliance  `json:"compliance"`
	Remediation  ocsfRemediation `json:"remediation"`
	Resources    []ocsfResource  `json:"resources"`
	Evidences    []ocsfEvidence  `json:"evidences,omitempty"`
	Unmapped     map[string]any  `json:"unmapped"`
}

type ocsfMetadata struct {
	UID       string      `json:"uid"`
	EventCode string      `json:"event_code"`
	Version   string      `json:"version"`
	Product   ocsfProduct `json:"product"`
}

type ocsfProduct struct {
	UID        string `json:"uid"`
	Name       string `json:"name"`
	VendorName string `json:"vendor_name"`
	Version    string `json:"version,omitempty"`
	URL        string `json:"url_string"`
}

type ocsfFindingInfo struct {
	UID         string   `json:"uid"`
	Title       string   `json:"title"`
	Desc        string   `json:"desc"`
	CreatedTime int64    `json:"created_time"`
	Types       []string `json:"types"`
}

type ocsfCompliance struct {
	Control      string   `json:"control"`
	Requirements []string `json:"requirements"`
	Standards    []string `json:"standards"`
	Desc         string   `json:"desc"`
	StatusID     int      `json:"status_id"`
}

type ocsfRemediation struct {
	Desc string `json:"desc"`
}

type ocsfResource struct {
	UID       string         `json:"uid"`
	Name      string         `json:"name"`
	Type      string         `json:"type"`
	Region    string         `json:"region,omitempty"`
	Partition string         `json:"cloud_partition,omitempty"`
	Data      map[string]any `json:"data"`
}

type ocsfEvidence struct {
	Name string         `json:"name"`
	Data map[string]any `json:"data"`
}

// ocsfWrap makes the findings a JSON array.
func ocsfWrap(FormatsMeta, string) (head, tail []byte, err error) {
	return []byte("["), []byte("]\n"), nil
}

// standard names the requirements the findings are of: this build's
// catalog, whose fingerprint is computed once, not once a finding.
var standard = sync.OnceValue(func() string {
	c := Catalog()
	return fmt.Sprintf("Adobe Experience Platform customer managed key requirements (cmkcheck catalog %s, sha256 %s)", c.Version, c.SHA256)
})

// ocsfItems are a key's findings, one per check.
func ocsfItems(j Judged) ([][]byte, error) {
	r := j.Run
	ev := evidenceOf(r)
	resource := ocsfResource{UID: r.KeyARN, Name: r.KeyARN, Type: "AWS::KMS::Key", Region: r.Region,
		Data: map[string]any{"account": r.Account, "target": r.Target.Kind}}
	if p := awsid.PartitionOf(r.Region); p != "" && r.Region != "" {
		resource.Partition = p
	}
	if j.Origin != nil {
		resource.Data["declared_in"] = j.Origin.File + "#" + j.Origin.Name
		resource.Data["placeholder_arn"] = true // the key does not exist yet
	}
	end := r.End.UnixMilli()
	var out [][]byte
	for _, res := range r.Results {
		sev, sevName := ocsfSeverityMedium, "Medium"
		if res.Severity == checks.Required {
			sev, sevName = ocsfSeverityHigh, "High"
		}
		f := ocsfFinding{
			ActivityID: ocsfActivityCreate, ActivityName: "Create",
			CategoryUID: ocsfCategoryFindings, CategoryName: "Findings",
			ClassUID: ocsfClassCompliance, ClassName: "Compliance Finding",
			TypeUID: ocsfTypeCreate, TypeName: "Compliance Finding: Create",
			Time: end, StartTime: r.Start.UnixMilli(), EndTime: end,
			Message:    fmt.Sprintf("%s %s: %s", res.ID, res.Status, res.Observed),
			SeverityID: sev, Severity: sevName,
			StatusID: ocsfFindingStatusNew, Status: "New",
			StatusCode: string(res.Status), StatusDetail: res.Observed,
			Metadata: ocsfMetadata{
				UID: uuidOf("ocsf", r.RunID, res.ID), EventCode: res.ID, Version: ocsfVersion,
				Product: ocsfProduct{UID: "cmkcheck", Name: "cmkcheck", VendorName: "aep-cmk", Version: r.ToolVersion, URL: projectURI},
			},
			FindingInfo: ocsfFindingInfo{
				UID: uuidOf("ocsf", r.RunID, res.ID), Title: res.Title, Desc: res.Expected, CreatedTime: end,
				Types: []string{"Software and Configuration Checks/AWS KMS/Adobe Experience Platform CMK"},
			},
			Compliance: ocsfCompliance{
				Control: res.ID, Requirements: []string{res.ID}, Standards: []string{standard()},
				Desc: res.Expected, StatusID: ocsfStatus(res.Status),
			},
			Remediation: ocsfRemediation{Desc: remediationText(res)},
			Resources:   []ocsfResource{resource},
			Unmapped: map[string]any{
				"cmkcheck": map[string]any{
					"run_id": r.RunID, "verdict": r.Verdict, "severity": string(res.Severity), "guide_section": res.Section,
					"results_sha256": r.ResultsSHA256, "commit": r.Commit,
				},
			},
		}
		for _, x := range ev.excerpts(res.Evidence) {
			f.Evidences = append(f.Evidences, ocsfEvidence{Name: x.Member, Data: map[string]any{
				"pointer": x.Pointer, "sha256": x.SHA256, "excerpt": x.Value,
			}})
		}
		b, err := compact(f)
		if err != nil {
			return nil, fmt.Errorf("finding %s: %w", res.ID, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// ocsfStatus is a result's compliance status: a check that could not be
// judged (ERROR) is Unknown, one not evaluated here (SKIP) Other; neither
// is ever Pass.
func ocsfStatus(s checks.Status) int {
	switch s {
	case checks.Pass:
		return ocsfCompliancePass
	case checks.Warn:
		return ocsfComplianceWarning
	case checks.Fail:
		return ocsfComplianceFail
	case checks.Skip:
		return ocsfComplianceOther
	}
	return ocsfComplianceUnknown
}

// remediationText is a result's remediation, console then CLI.
func remediationText(res checks.Result) string {
	parts := []string{}
	if res.Remediation.Console != "" {
		parts = append(parts, "Console: "+res.Remediation.Console)
	}
	if cli := strings.TrimSpace(res.Remediation.CLI); cli != "" {
		parts = append(parts, "CLI:\n"+cli)
	}
	if len(parts) == 0 {
		return "Nothing to change: see the guide section " + res.Section
	}
	return strings.Join(parts, "\n")
}

// ocsfUnaudited is a finding of unknown status for what was not audited.
func ocsfUnaudited(u Unaudited) ([]byte, error) {
	when := u.When.UnixMilli()
	id := uuidOf("ocsf-unaudited", u.Account, u.Region, u.Name, u.Why)
	f := ocsfFinding{
		ActivityID: ocsfActivityCreate, ActivityName: "Create",
		CategoryUID: ocsfCategoryFindings, CategoryName: "Findings",
		ClassUID: ocsfClassCompliance, ClassName: "Compliance Finding",
		TypeUID: ocsfTypeCreate, TypeName: "Compliance Finding: Create",
		Time: when, StartTime: when, EndTime: when,
		Message:    u.Name + " was not audited: " + u.Why,
		SeverityID: ocsfSeverityHigh, Severity: "High",
		StatusID: ocsfFindingStatusNew, Status: "New",
		StatusCode: string(checks.Error), StatusDetail: u.Why,
		Metadata: ocsfMetadata{UID: id, EventCode: notAudited, Version: ocsfVersion,
			Product: ocsfProduct{UID: "cmkcheck", Name: "cmkcheck", VendorName: "aep-cmk", URL: projectURI}},
		FindingInfo: ocsfFindingInfo{UID: id, Title: "Not audited: " + u.Name, Desc: "None of the requirements was judged: " + u.Why,
			CreatedTime: when, Types: []string{"Software and Configuration Checks/AWS KMS/Adobe Experience Platform CMK"}},
		Compliance: ocsfCompliance{Control: notAudited, Requirements: []string{}, Standards: []string{standard()},
			Desc: "The key could be audited", StatusID: ocsfComplianceUnknown},
		Remediation: ocsfRemediation{Desc: "Fix what stopped the audit (access, the selection) and audit again."},
		Resources: []ocsfResource{{UID: u.Name, Name: u.Name, Type: "AWS::KMS::Key", Region: u.Region,
			Data: map[string]any{"account": u.Account}}},
		Unmapped: map[string]any{"cmkcheck": map[string]any{"not_audited": true}},
	}
	return compact(f)
}

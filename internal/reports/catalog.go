package reports

import (
	"encoding/json"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// catalogVersion names how this build's checks judge. Bump it with any
// change that makes a check judge the same evidence differently (a new
// rule, a reworded observation) without changing the catalog's metadata,
// which the fingerprint covers by itself: a results file of the previous
// version then verifies as "judged by another catalog", not as altered.
// TestCatalogVersionFollowsTheChecks fails until it is bumped.
// Version 4: a result names the snapshot members (and pointers) it was
// judged on, instead of holding copies of the answers; the results file
// holds the snapshot once, with a sha256 per member.
// Version 5: every check asks the key policy, grants and IAM together;
// CMK-ADM-4 judges the key policy without IAM; CMK-USR-1 fails on any
// unchosen user of the key (issue 20).
// Version 7: the results file names its format (schema_version, issue 22).
const catalogVersion = "7"

// lastUnversionedCatalog is the last catalog whose results files had no
// schema_version.
const lastUnversionedCatalog = "6"

// CatalogRecord names the catalog a run was judged by.
type CatalogRecord struct {
	Version string `json:"version"`
	// SHA256 is over the version and every check's fixed metadata (ID,
	// title, severity, section, expected text, remediation, the members it
	// is judged on and the pointers into them), in catalog order.
	SHA256 string `json:"sha256"`
}

// Catalog is this build's catalog.
func Catalog() CatalogRecord {
	type meta struct {
		ID, Title, Severity, Section, Expected string
		Remediation                            checks.Remediation
		Needs, Uses                            []string
		Pointers                               map[string][]string
	}
	doc := struct {
		Version string
		Checks  []meta
	}{Version: catalogVersion}
	for _, c := range checks.Catalog() {
		doc.Checks = append(doc.Checks, meta{c.ID, c.Title, string(c.Severity), c.Section, c.Expected, c.Remediation, c.Needs, c.Uses, c.Pointers})
	}
	b, _ := json.Marshal(doc) // strings and lists of strings always marshal
	return CatalogRecord{Version: catalogVersion, SHA256: sha256Hex(b)}
}

package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var cfg1Cases = table([]tc{
	{name: "both spec fields missing", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) {
		delete(s.meta(), "KeySpec")
		delete(s.meta(), "CustomerMasterKeySpec")
	}, want: checks.Error, observe: "neither KeySpec nor the legacy CustomerMasterKeySpec"},
	// Older CLI output has only the legacy field; the DescribeKey API
	// reference documents it as KeySpec's deprecated twin (issue 15).
	{name: "only the legacy field, symmetric", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeySpec") },
		want: checks.Pass, observe: "legacy CustomerMasterKeySpec, documented as the same value, is SYMMETRIC_DEFAULT"},
	{name: "only the legacy field, asymmetric", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) {
		delete(s.meta(), "KeySpec")
		s.meta()["CustomerMasterKeySpec"] = "RSA_2048"
	}, want: checks.Fail, observe: "CustomerMasterKeySpec, documented as the same value, is RSA_2048"},
	{name: "only KeySpec", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) { delete(s.meta(), "CustomerMasterKeySpec") },
		want: checks.Pass, observe: "KeySpec is SYMMETRIC_DEFAULT"},
	{name: "SYMMETRIC_DEFAULT", id: "CMK-CFG-1", want: checks.Pass, observe: "KeySpec is SYMMETRIC_DEFAULT"},
	{name: "asymmetric", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) {
		s.meta()["KeySpec"] = "RSA_2048"
		s.meta()["CustomerMasterKeySpec"] = "RSA_2048"
	}, want: checks.Fail, observe: "KeySpec is RSA_2048"},
	{name: "the two fields disagree", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) { s.meta()["CustomerMasterKeySpec"] = "RSA_2048" },
		want: checks.Error, observe: "KeySpec is SYMMETRIC_DEFAULT but CustomerMasterKeySpec is RSA_2048"},
	{name: "DescribeKey missing", id: "CMK-CFG-1", edit: without("DescribeKey"), want: checks.Error, observe: "DescribeKey is missing"},
})

func TestCFG1Symmetric(t *testing.T) { runCases(t, cfg1Cases) }

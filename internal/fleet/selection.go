// Package fleet audits many keys in one run: every customer managed key the
// caller can list, or the keys of a file, in several regions and accounts.
// One client per account and region, the region's lists asked once, at
// most the per-key calls of a single audit, bounded concurrency, and each
// key judged by audit.Evaluate exactly as a single audit judges it. A key,
// region or account that fails is an ERROR entry of its own; it never
// stops the others and is never silently absent.
package fleet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// Selection says which keys a fleet run audits. The zero Selection
// selects nothing: a single-key audit.
type Selection struct {
	// All selects every customer managed key the caller can list in each
	// account and region (ListKeys, then DescribeKey's KeyManager).
	All bool
	// Keys are the keys of a keys file: IDs, ARNs, aliases.
	Keys []KeyRef
	// Regions to audit; none means the default region (the profile's,
	// else AWS_REGION's, else the SDK's).
	Regions []string
	// Accounts to audit, reached through RoleTemplate; none (and no
	// Organization) means the caller's own account, with its credentials.
	Accounts []string
	// Organization adds the ACTIVE accounts of the caller's AWS
	// Organization (organizations:ListAccounts).
	Organization bool
	// RoleTemplate is the role assumed in each account, with {account}
	// where the account ID goes: arn:aws:iam::{account}:role/CmkAudit.
	RoleTemplate string
	// PlatformOnly keeps the platform's keys (and those that cannot be
	// told apart) in the report; the others are counted, not written.
	PlatformOnly bool
}

// Active says whether the selection names a fleet at all.
func (s Selection) Active() bool { return s.All || len(s.Keys) > 0 }

// Check refuses selections that cannot mean one thing, naming what is
// wrong. Files have been read into the selection already.
func (s Selection) Check() error {
	switch {
	case s.All && len(s.Keys) > 0:
		return errors.New("fleet: --all and --keys both select keys: give one of them")
	case !s.Active() && (len(s.Regions) > 0 || len(s.Accounts) > 0 || s.Organization || s.RoleTemplate != "" || s.PlatformOnly):
		return errors.New("fleet: --regions, --accounts, --organization, --role-arn-template and --platform-keys-only need a selection of keys: --all or --keys FILE")
	case (len(s.Accounts) > 0 || s.Organization) && s.RoleTemplate == "":
		return errors.New("fleet: --accounts and --organization reach each account through a role: give --role-arn-template 'arn:aws:iam::{account}:role/NAME'")
	case len(s.Accounts) > 0 && s.Organization:
		return errors.New("fleet: --accounts and --organization both name the accounts: give one of them")
	}
	if s.RoleTemplate != "" {
		if _, err := RoleARN(s.RoleTemplate, "123456789012"); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, r := range s.Regions {
		if !awsid.IsRegion(r) {
			return fmt.Errorf("fleet: region %q is not an AWS region name (like us-east-1)", r)
		}
		if seen[r] {
			return fmt.Errorf("fleet: region %s is given twice", r)
		}
		seen[r] = true
	}
	return nil
}

// ParseRegions reads a comma-separated region list ("us-east-1,eu-west-1").
func ParseRegions(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	for i, r := range strings.Split(s, ",") {
		r = strings.TrimSpace(r)
		switch {
		case r == "":
			return nil, fmt.Errorf("regions %q: item %d is empty", s, i+1)
		case !awsid.IsRegion(r):
			return nil, fmt.Errorf("regions: %q is not an AWS region name (like us-east-1)", r)
		case slices.Contains(out, r):
			return nil, fmt.Errorf("regions: %s is given twice", r)
		}
		out = append(out, r)
	}
	return out, nil
}

// templateAccount is the placeholder of a role template.
const templateAccount = "{account}"

// RoleARN fills an account into a role template, and says what is wrong
// with the template if the result is no IAM role ARN.
func RoleARN(template, account string) (string, error) {
	if n := strings.Count(template, templateAccount); n != 1 {
		return "", fmt.Errorf("fleet: role template %q must hold %s exactly once (it holds it %d times): arn:aws:iam::{account}:role/NAME", template, templateAccount, n)
	}
	arn := strings.Replace(template, templateAccount, account, 1)
	a, err := awsid.ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Account != account || !strings.HasPrefix(a.Resource, "role/") || len(a.Resource) == len("role/") {
		return "", fmt.Errorf("fleet: role template %q does not give an IAM role ARN in the account's place (arn:aws:iam::{account}:role/NAME): %q", template, arn)
	}
	return arn, nil
}

// KeyRef is one line of a keys file.
type KeyRef struct {
	Text string // as written, trimmed
	Line int
	// Account and Region are an ARN's; "" for key IDs and alias names,
	// which are looked up in the run's accounts and regions.
	Account, Region string
	// Alias says the line names an alias (alias/NAME or an alias ARN).
	Alias bool
}

// Limits of the input files.
const (
	MaxFileLines = 100000 // the KMS resource quota is 100,000 keys per account and region
	maxLineBytes = 2048   // a key ARN is ~90 bytes, an alias ARN at most ~320
)

var (
	keyIDPattern = regexp.MustCompile(`^(mrk-[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`)
	aliasPattern = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]{1,250}$`)
)

// ParseKeysFile reads a keys file: one key a line, as a key ID, key ARN,
// alias/NAME or alias ARN; blank lines and lines starting with # are
// skipped. Every bad line is named with its number; a repeated key is
// refused (it would be audited twice).
func ParseKeysFile(r io.Reader, name string) ([]KeyRef, error) {
	var refs []KeyRef
	seen := map[string]int{}
	err := lines(r, name, func(n int, line string) error {
		ref, err := parseKeyRef(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if first, ok := seen[ref.Text]; ok {
			return fmt.Errorf("%s:%d: %s is already on line %d", name, n, ref.Text, first)
		}
		seen[ref.Text] = n
		ref.Line = n
		refs = append(refs, ref)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("%s names no key: give one key ID, key ARN or alias/NAME a line", name)
	}
	return refs, nil
}

func parseKeyRef(s string) (KeyRef, error) {
	ref := KeyRef{Text: s}
	switch {
	case keyIDPattern.MatchString(s):
		return ref, nil
	case strings.HasPrefix(s, "alias/"):
		if strings.HasPrefix(s, "alias/aws/") {
			return ref, fmt.Errorf("%q is an AWS managed key's alias: those keys are not customer managed", s)
		}
		if !aliasPattern.MatchString(s) {
			return ref, fmt.Errorf("%q is not an alias name (alias/ then letters, digits, /, _ and -)", s)
		}
		ref.Alias = true
		return ref, nil
	case strings.HasPrefix(s, "arn:"):
		a, err := awsid.ParseARN(s)
		if err != nil || a.Service != "kms" || !awsid.IsRegion(a.Region) || !awsid.IsAccountID(a.Account) {
			return ref, fmt.Errorf("%q is not a KMS key or alias ARN (arn:aws:kms:REGION:ACCOUNT:key/ID or .../alias/NAME)", s)
		}
		ref.Account, ref.Region = a.Account, a.Region
		switch {
		case strings.HasPrefix(a.Resource, "key/") && keyIDPattern.MatchString(strings.TrimPrefix(a.Resource, "key/")):
			return ref, nil
		case strings.HasPrefix(a.Resource, "alias/") && aliasPattern.MatchString(a.Resource) && !strings.HasPrefix(a.Resource, "alias/aws/"):
			ref.Alias = true
			return ref, nil
		}
		return ref, fmt.Errorf("%q names neither a key (key/ID) nor a customer's alias (alias/NAME)", s)
	}
	return ref, fmt.Errorf("%q is not a key ID, key ARN, alias/NAME or alias ARN", s)
}

// ParseAccountsFile reads an accounts file: one 12-digit account ID a
// line; blank lines and # comments are skipped.
func ParseAccountsFile(r io.Reader, name string) ([]string, error) {
	var accounts []string
	seen := map[string]int{}
	err := lines(r, name, func(n int, line string) error {
		if !awsid.IsAccountID(line) {
			return fmt.Errorf("%s:%d: %q is not a 12-digit AWS account ID", name, n, line)
		}
		if first, ok := seen[line]; ok {
			return fmt.Errorf("%s:%d: account %s is already on line %d", name, n, line, first)
		}
		seen[line] = n
		accounts = append(accounts, line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(accounts) == 0 {
		return nil, fmt.Errorf("%s names no account: give one 12-digit account ID a line", name)
	}
	return accounts, nil
}

// lines calls each for every line that is not blank or a # comment,
// trimmed, with its 1-based number.
func lines(r io.Reader, name string, each func(n int, line string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLineBytes)
	n, kept := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if kept++; kept > MaxFileLines {
			return fmt.Errorf("%s:%d: more than %d entries", name, n, MaxFileLines)
		}
		if err := each(n, line); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%s:%d: line longer than %d bytes", name, n+1, maxLineBytes)
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Input is a selection as the user gives it, before its files are read:
// the flags of `cmkcheck audit` or the suites' environment variables.
type Input struct {
	All          bool
	KeysFile     string
	Regions      string // comma-separated
	AccountsFile string
	Organization bool
	RoleTemplate string
	PlatformOnly bool
}

// Merge is in with each field that over sets taking over's value: flags
// over the environment.
func (in Input) Merge(over Input) Input {
	if over.All {
		in.All = true
	}
	if over.KeysFile != "" {
		in.KeysFile = over.KeysFile
	}
	if over.Regions != "" {
		in.Regions = over.Regions
	}
	if over.AccountsFile != "" {
		in.AccountsFile = over.AccountsFile
	}
	if over.Organization {
		in.Organization = true
	}
	if over.RoleTemplate != "" {
		in.RoleTemplate = over.RoleTemplate
	}
	if over.PlatformOnly {
		in.PlatformOnly = true
	}
	return in
}

// Given says whether anything of a fleet was asked for.
func (in Input) Given() bool { return in != Input{} }

// Load reads the input's files into a Selection and checks it.
func (in Input) Load() (Selection, error) {
	sel := Selection{All: in.All, Organization: in.Organization, RoleTemplate: strings.TrimSpace(in.RoleTemplate), PlatformOnly: in.PlatformOnly}
	var err error
	if sel.Regions, err = ParseRegions(in.Regions); err != nil {
		return Selection{}, fmt.Errorf("fleet: %w", err)
	}
	if in.KeysFile != "" {
		if sel.Keys, err = readFile(in.KeysFile, ParseKeysFile); err != nil {
			return Selection{}, err
		}
	}
	if in.AccountsFile != "" {
		if sel.Accounts, err = readFile(in.AccountsFile, ParseAccountsFile); err != nil {
			return Selection{}, err
		}
	}
	if err := sel.Check(); err != nil {
		return Selection{}, err
	}
	return sel, nil
}

// maxFileBytes bounds a keys or accounts file.
const maxFileBytes = 64 << 20

func readFile[T any](path string, parse func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, fmt.Errorf("fleet: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return zero, fmt.Errorf("fleet: %s is a directory, not a file", path)
	}
	v, err := parse(io.LimitReader(f, maxFileBytes), path)
	if err != nil {
		return zero, fmt.Errorf("fleet: %w", err)
	}
	return v, nil
}

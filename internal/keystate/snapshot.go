package keystate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// MaxSnapshotSize bounds a snapshot file; real ones are a few kilobytes.
const MaxSnapshotSize = 4 << 20

// Decode reads a snapshot: one JSON object whose members are AWS CLI outputs.
// An error means the file as a whole is unusable (not JSON, not an object,
// an unknown member). A member that is missing or malformed is not an error
// here: it is recorded in Problems and the checks that need it are ERROR.
func Decode(data []byte) (*State, error) {
	if len(data) > MaxSnapshotSize {
		return nil, fmt.Errorf("snapshot is %d bytes, more than the %d allowed", len(data), MaxSnapshotSize)
	}
	var members map[string]json.RawMessage
	if !utf8.Valid(data) {
		// Say where, when a member holds it: the decoder would have
		// replaced the bytes, and the evidence would not be what was given.
		if err := strictUnmarshal(data, &members); err == nil {
			for _, name := range allMembers() {
				if raw, ok := members[name]; ok && !utf8.Valid(raw) {
					return nil, fmt.Errorf("snapshot is not valid UTF-8: member %s holds invalid bytes", name)
				}
			}
		}
		return nil, errors.New("snapshot is not valid UTF-8")
	}
	members, err := decodeTop(data)
	if err != nil {
		return nil, err
	}
	var unknown []string
	for name := range members {
		if !isMember(name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("snapshot has unknown member(s) %s; allowed: %s",
			strings.Join(unknown, ", "), strings.Join(allMembers(), ", "))
	}
	// Target says the snapshot is a live capture, which decides how the
	// checks read every other member: it has to be readable.
	if raw, ok := members[Target]; ok {
		if _, err := decodeTarget(raw); err != nil {
			return nil, fmt.Errorf("snapshot member %s: %v", Target, readable(err))
		}
	}
	collectionErrors, err := decodeCollectionErrors(members)
	if err != nil {
		return nil, fmt.Errorf("snapshot member %s: %w", CollectionErrors, err)
	}
	s := FromAnswers(members)
	for name, why := range collectionErrors {
		s.Problems[name] = why
	}
	return s, nil
}

// wantObject is what a snapshot file must be, for the messages that say
// it is not.
const wantObject = "want a JSON object of AWS CLI answers ({\"DescribeKey\": ..., \"GetKeyPolicy\": ..., ...})"

// decodeTop reads the snapshot's one object of members. What is wrong is
// said in the file's terms: empty, where the JSON breaks (line and
// column), or what was found instead of an object.
func decodeTop(data []byte) (map[string]json.RawMessage, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("snapshot is empty: " + wantObject)
	}
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&members); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			// Offset is just past the byte that broke it.
			err = fmt.Errorf("invalid JSON at %s: %v", position(data, syn.Offset-1), syn)
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = fmt.Errorf("the JSON ends at %s before the object does (a truncated file?)", position(data, int64(len(data))))
		case errors.As(err, &typ) && typ.Field == "":
			err = fmt.Errorf("found %s", jsonValueName(typ.Value))
		}
		return nil, fmt.Errorf("snapshot is not a readable JSON object: %v; %s", err, wantObject)
	}
	rest := dec.InputOffset()
	for rest < int64(len(data)) && strings.ContainsRune(" \t\r\n", rune(data[rest])) {
		rest++
	}
	if rest < int64(len(data)) {
		return nil, fmt.Errorf("snapshot is not a readable JSON object: trailing data after the object at %s; %s", position(data, rest), wantObject)
	}
	if members == nil {
		return nil, errors.New("snapshot is not a JSON object: got null; " + wantObject)
	}
	return members, nil
}

// position words a byte offset of data as "line L, column C" (from 1;
// columns count characters).
func position(data []byte, offset int64) string {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// jsonValueName names a JSON value kind as a decoder reports it ("array").
func jsonValueName(v string) string {
	switch v {
	case "array":
		return "an array"
	case "bool":
		return "true or false"
	case "string", "number":
		return "a " + v
	}
	return v
}

// decodeCollectionErrors reads why a live run has no answer for members
// the snapshot lacks.
func decodeCollectionErrors(members map[string]json.RawMessage) (map[string]string, error) {
	raw, ok := members[CollectionErrors]
	if !ok {
		return nil, nil
	}
	var why map[string]string
	if err := strictUnmarshal(raw, &why); err != nil {
		return nil, fmt.Errorf("not an object of member names and reasons: %v", readable(err))
	}
	for name, text := range why {
		switch {
		case !isMember(name) || name == CollectionErrors:
			return nil, fmt.Errorf("%q is not a member; members: %s", name, strings.Join(append(slices.Clone(Members), LiveMembers...), ", "))
		case members[name] != nil:
			return nil, fmt.Errorf("%s is present, so it has no collection error", name)
		case strings.TrimSpace(text) == "":
			return nil, fmt.Errorf("the reason for %s is empty", name)
		}
	}
	return why, nil
}

// FromAnswers decodes the raw API answers it is given (member name -> JSON
// body). Required members absent from answers are recorded as missing; an
// absent optional member is simply not there (offline).
func FromAnswers(answers map[string]json.RawMessage) *State {
	s := &State{Raw: map[string]json.RawMessage{}, Problems: map[string]string{}}
	for _, name := range append(append(slices.Clone(Members), LiveMembers...), OptionalMembers...) {
		raw, ok := answers[name]
		if !ok {
			if slices.Contains(Members, name) {
				s.Problems[name] = missing(name)
			}
			continue
		}
		if !utf8.Valid(raw) {
			// A live answer is not checked as a file is: JSON decoding would
			// quietly replace the bytes, and the reports could not keep them.
			s.Problems[name] = unreadable(name) + "the answer is not valid UTF-8"
			continue
		}
		s.Raw[name] = raw
		if err := s.decodeMember(name, raw); err != nil {
			s.Problems[name] = unreadable(name) + readable(err).Error()
		}
	}
	return s
}

// missing is the problem of a required member that is not there.
func missing(member string) string { return member + " is missing" }

// Problem returns why a member is unusable, or "" when it is fine.
func (s *State) Problem(member string) string { return s.Problems[member] }

// allMembers lists every member a snapshot may hold, in the order a
// snapshot is written.
func allMembers() []string {
	return append(append(append(slices.Clone(Members), LiveMembers...), OptionalMembers...), CollectionErrors)
}

func isMember(name string) bool { return slices.Contains(allMembers(), name) }

func (s *State) decodeMember(name string, raw json.RawMessage) error {
	switch name {
	case DescribeKey:
		k, err := decodeDescribeKey(raw)
		s.Key = k
		return err
	case GetKeyPolicy:
		var v struct {
			Policy *string
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.Policy == nil {
			return errors.New("member Policy is missing")
		}
		s.Policy = *v.Policy
	case GetKeyRotationStatus:
		var v struct {
			KeyRotationEnabled   *bool
			RotationPeriodInDays *int
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.KeyRotationEnabled == nil {
			return errors.New("member KeyRotationEnabled is missing")
		}
		s.Rotation = &Rotation{Enabled: *v.KeyRotationEnabled, RotationPeriodInDays: v.RotationPeriodInDays}
	case ListResourceTags:
		var v struct {
			Tags *[]struct {
				TagKey   *string
				TagValue *string
			}
			Truncated bool
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.Tags == nil {
			return errors.New("member Tags is missing")
		}
		if v.Truncated {
			return errors.New("the tag list is truncated (Truncated: true); give every page")
		}
		tags := []Tag{}
		for i, t := range *v.Tags {
			if t.TagKey == nil || t.TagValue == nil {
				return fmt.Errorf("Tags[%d] lacks TagKey or TagValue", i)
			}
			tags = append(tags, Tag{Key: *t.TagKey, Value: *t.TagValue})
		}
		s.Tags = tags
	case ListGrants:
		g, err := decodeGrants(raw)
		s.Grants = g
		return err
	case Target:
		t, err := decodeTarget(raw)
		s.Target = t
		return err
	case GetCallerIdentity:
		id, err := decodeIdentity(raw)
		s.Identity = id
		return err
	case SimulatePrincipalPolicy:
		sim, err := decodeSimulation(raw)
		s.Simulation = sim
		return err
	case GetAccountAuthorizationDetails:
		a, err := decodeAccountAuthorization(raw)
		s.IAM = a
		return err
	case RoundTrip:
		rt, err := decodeRoundTrip(raw)
		s.RoundTrip = rt
		return err
	case ListRules, ListTargetsByRule, DescribeLogGroups, DescribeMetricFilters, DescribeAlarms:
		return s.decodeMonitoring(name, raw)
	case Baseline:
		b, err := decodeBaseline(raw)
		s.Baseline = b
		return err
	case ListAliases:
		var v struct {
			Aliases *[]struct {
				AliasName   *string
				AliasArn    string
				TargetKeyId string
			}
			Truncated bool
		}
		if err := strictUnmarshal(raw, &v); err != nil {
			return err
		}
		if v.Aliases == nil {
			return errors.New("member Aliases is missing")
		}
		if v.Truncated {
			return errors.New("the alias list is truncated (Truncated: true); give every page")
		}
		aliases := []Alias{}
		for i, a := range *v.Aliases {
			if a.AliasName == nil {
				return fmt.Errorf("Aliases[%d] lacks AliasName", i)
			}
			aliases = append(aliases, Alias{Name: *a.AliasName, Arn: a.AliasArn, TargetKeyID: a.TargetKeyId})
		}
		s.Aliases = aliases
	}
	return nil
}

func decodeDescribeKey(raw json.RawMessage) (*KeyMetadata, error) {
	var v struct {
		KeyMetadata *struct {
			AWSAccountId          string
			KeyId                 *string
			Arn                   *string
			Description           string
			KeySpec               string
			CustomerMasterKeySpec string
			KeyUsage              string
			Origin                string
			KeyManager            string
			KeyState              string
			Enabled               *bool
			MultiRegion           *bool
			CreationDate          *flexTime
			DeletionDate          *flexTime
		}
	}
	if err := strictUnmarshal(raw, &v); err != nil {
		return nil, err
	}
	m := v.KeyMetadata
	if m == nil {
		return nil, errors.New("member KeyMetadata is missing")
	}
	if m.KeyId == nil || *m.KeyId == "" {
		return nil, errors.New("KeyMetadata.KeyId is missing")
	}
	if m.Arn == nil {
		return nil, errors.New("KeyMetadata.Arn is missing")
	}
	if _, err := awsid.ParseARN(*m.Arn); err != nil {
		return nil, fmt.Errorf("KeyMetadata.Arn: %w", err)
	}
	return &KeyMetadata{
		AWSAccountID:          m.AWSAccountId,
		KeyID:                 *m.KeyId,
		Arn:                   *m.Arn,
		Description:           m.Description,
		KeySpec:               m.KeySpec,
		CustomerMasterKeySpec: m.CustomerMasterKeySpec,
		KeyUsage:              m.KeyUsage,
		Origin:                m.Origin,
		KeyManager:            m.KeyManager,
		KeyState:              m.KeyState,
		Enabled:               m.Enabled,
		MultiRegion:           m.MultiRegion,
		CreationDate:          m.CreationDate.time(),
		DeletionDate:          m.DeletionDate.time(),
	}, nil
}

// decodeGrants reads ListGrants as the AWS CLI prints it after paginating:
// {"Grants": [...], "Truncated": false}. A grant the checks could not judge
// (no GrantId, grantee or operations) makes the whole list unusable: read
// without it, the list would say less than the key allows.
func decodeGrants(raw json.RawMessage) ([]Grant, error) {
	var v struct {
		Grants *[]struct {
			GrantId           *string
			Name              string
			GranteePrincipal  *string
			RetiringPrincipal string
			IssuingAccount    string
			KeyId             string
			Operations        []*string
			Constraints       *struct {
				EncryptionContextEquals map[string]string
				EncryptionContextSubset map[string]string
			}
			CreationDate *flexTime
		}
		Truncated bool
	}
	if err := strictUnmarshal(raw, &v); err != nil {
		return nil, err
	}
	if v.Grants == nil {
		return nil, errors.New("member Grants is missing")
	}
	if v.Truncated {
		return nil, errors.New("the grant list is truncated (Truncated: true); give every page")
	}
	grants := []Grant{}
	for i, g := range *v.Grants {
		switch {
		case g.GrantId == nil || *g.GrantId == "":
			return nil, fmt.Errorf("Grants[%d] lacks GrantId", i)
		case g.GranteePrincipal == nil || *g.GranteePrincipal == "":
			return nil, fmt.Errorf("Grants[%d] (%s) lacks GranteePrincipal", i, *g.GrantId)
		case len(g.Operations) == 0:
			return nil, fmt.Errorf("Grants[%d] (%s) lacks Operations", i, *g.GrantId)
		}
		ops := make([]string, len(g.Operations))
		for j, op := range g.Operations {
			if op == nil || *op == "" {
				return nil, fmt.Errorf("Grants[%d] (%s) has an empty operation at Operations[%d]", i, *g.GrantId, j)
			}
			ops[j] = *op
		}
		grant := Grant{
			GrantID:           *g.GrantId,
			Name:              g.Name,
			GranteePrincipal:  *g.GranteePrincipal,
			RetiringPrincipal: g.RetiringPrincipal,
			IssuingAccount:    g.IssuingAccount,
			KeyID:             g.KeyId,
			Operations:        ops,
			CreationDate:      g.CreationDate.time(),
		}
		if c := g.Constraints; c != nil {
			grant.Constraints = &GrantConstraints{EncryptionContextEquals: c.EncryptionContextEquals, EncryptionContextSubset: c.EncryptionContextSubset}
		}
		grants = append(grants, grant)
	}
	return grants, nil
}

// flexTime accepts the CLI's ISO 8601 strings and the API's epoch seconds.
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return fmt.Errorf("time %q is neither ISO 8601 nor epoch seconds", s)
		}
		*f = flexTime(t.UTC())
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("time %s is neither ISO 8601 nor epoch seconds", b)
	}
	if math.IsNaN(secs) || math.Abs(secs) > 1e11 {
		return fmt.Errorf("time %s is out of range", b)
	}
	whole, frac := math.Modf(secs)
	*f = flexTime(time.Unix(int64(whole), int64(frac*1e9)).UTC())
	return nil
}

func (f *flexTime) time() *time.Time {
	if f == nil {
		return nil
	}
	t := time.Time(*f)
	return &t
}

// readable words a JSON type error for the report's reader: which field
// has which JSON type, and what it should be, without the decoder's Go types.
func readable(err error) error {
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		return err
	}
	field := strings.TrimPrefix(te.Field, ".")
	if field == "" {
		field = "the answer"
	}
	return fmt.Errorf("%s is a JSON %s, not %s", field, te.Value, jsonKind(te.Type))
}

// jsonKind names what a Go type takes in JSON.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return t.String()
}

// strictUnmarshal decodes one JSON value and rejects trailing data.
func strictUnmarshal(data []byte, v any) error { return decodeOne(data, v, false) }

// strictFields is strictUnmarshal that also refuses unknown fields: for the
// members this tool writes, where an unknown field is a typo, not a newer
// CLI's addition.
func strictFields(data []byte, v any) error { return decodeOne(data, v, true) }

func decodeOne(data []byte, v any, knownFields bool) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if knownFields {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON value")
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

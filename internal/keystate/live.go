package keystate

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// The optional members hold what a live run saw, as facts: what was asked,
// what came back, or why nothing did. Judging them is the checks' work.

// TargetFacts is where evidence comes from, the one description of a
// target: the Target member of a live run, where a run record says it
// looked (Kind and Endpoint: a live kind and its endpoint, or a snapshot,
// template or plan and its file), and the place an opened target reaches.
//
// It is cmkcheck's own record, not an AWS answer, so its names are
// lower-case like the results file's; the decoder also takes the
// capitalised names earlier captures used.
//
//	{"kind": "localstack", "region": "us-east-1", "account": "000000000000", "endpoint": "http://127.0.0.1:4566"}
type TargetFacts struct {
	Kind     string `json:"kind"`               // one of AllKinds; the Target member's is a live kind
	Region   string `json:"region,omitempty"`   // the region the run asked in (the Target member requires it)
	Account  string `json:"account,omitempty"`  // the configured account; the caller's where there is STS
	Endpoint string `json:"endpoint,omitempty"` // "" for AWS's own endpoints
}

// CallError is a call that gave no answer, as the run saw it.
type CallError struct {
	Operation string `json:",omitempty"` // "kms:Encrypt"; "" when no call was made
	Code      string `json:",omitempty"` // the service's error code, when it sent one
	Message   string `json:",omitempty"` // the service's error message
	Detail    string // the whole error as the run reported it
}

// Identity is the GetCallerIdentity member: STS's answer as the AWS CLI
// prints it, or why there is none.
//
//	{"UserId": "AIDA...", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/alice"}
//	{"NotRun": "no STS on the embedded target"}
//	{"Error": {"Operation": "sts:GetCallerIdentity", "Detail": "..."}}
type Identity struct {
	Caller *Caller
	NotRun string
	Error  *CallError
}

// MarshalJSON writes the member's form: the answer as the CLI prints it,
// or the NotRun or Error envelope.
func (id Identity) MarshalJSON() ([]byte, error) {
	switch {
	case id.Caller != nil:
		return json.Marshal(struct{ UserId, Account, Arn string }{id.Caller.UserID, id.Caller.Account, id.Caller.Arn})
	case id.Error != nil:
		return json.Marshal(struct{ Error *CallError }{id.Error})
	}
	return json.Marshal(struct{ NotRun string }{id.NotRun})
}

// Simulation is the SimulatePrincipalPolicy member: the principal asked
// about and IAM's EvaluationResults as the AWS CLI prints them (only the
// action and decision of each are read here), or why there are none.
//
//	{"PolicySourceArn": "arn:aws:iam::111122223333:role/Ops", "EvaluationResults": [{"EvalActionName": "kms:CreateKey", "EvalDecision": "allowed", ...}]}
//	{"NotRun": "LocalStack/local-kms do not evaluate IAM policies, ..."}
//	{"PolicySourceArn": "...", "Error": {"Operation": "iam:SimulatePrincipalPolicy", "Code": "AccessDenied", ...}}
type Simulation struct {
	PolicySourceArn   string       `json:",omitempty"`
	EvaluationResults []Evaluation `json:",omitempty"`
	NotRun            string       `json:",omitempty"`
	Error             *CallError   `json:",omitempty"`
}

// Evaluation is one entry of EvaluationResults.
type Evaluation struct {
	EvalActionName string
	EvalDecision   string
}

// RoundTripFacts is the RoundTrip member: whether a round trip was asked
// for, and what Encrypt and Decrypt answered (sizes, not the bytes), or
// the error that stopped it, or why it was not run.
//
//	{"Requested": false}
//	{"Requested": true, "PlaintextBytes": 32, "Encrypt": {...}, "Decrypt": {...}, "PlaintextMatches": true}
//	{"Requested": true, "Error": {"Operation": "kms:Encrypt", "Code": "DisabledException", "Message": "...", "Detail": "..."}}
//	{"Requested": true, "NotRun": "the key ID is unknown because ..."}
type RoundTripFacts struct {
	Requested        bool
	NotRun           string        `json:",omitempty"`
	Error            *CallError    `json:",omitempty"`
	PlaintextBytes   int           `json:",omitempty"` // the random plaintext sent
	Encrypt          *EncryptFacts `json:",omitempty"`
	Decrypt          *DecryptFacts `json:",omitempty"`
	PlaintextMatches *bool         `json:",omitempty"`
}

// EncryptFacts is what Encrypt answered, without the ciphertext.
type EncryptFacts struct {
	KeyID               string `json:"KeyId"`
	EncryptionAlgorithm string
	CiphertextBytes     int
}

// DecryptFacts is what Decrypt answered, without the plaintext.
type DecryptFacts struct {
	KeyID          string `json:"KeyId"`
	PlaintextBytes int
}

func decodeTarget(raw json.RawMessage) (*TargetFacts, error) {
	var t *TargetFacts
	if err := strictFields(raw, &t); err != nil {
		return nil, err
	}
	switch {
	case t == nil:
		return nil, errors.New("member Target is null")
	case t.Kind == "":
		return nil, errors.New("Target.Kind is missing")
	case t.Region == "":
		return nil, errors.New("Target.Region is missing")
	}
	return t, nil
}

func decodeIdentity(raw json.RawMessage) (*Identity, error) {
	var v struct {
		UserId, Account, Arn *string
		NotRun               *string
		Error                *CallError
	}
	if err := strictUnmarshal(raw, &v); err != nil {
		return nil, err
	}
	answer := v.Account != nil || v.Arn != nil || v.UserId != nil
	if err := oneForm(map[string]bool{"an answer (Account, Arn)": answer, "NotRun": v.NotRun != nil, "Error": v.Error != nil}); err != nil {
		return nil, err
	}
	switch {
	case v.NotRun != nil:
		return &Identity{NotRun: *v.NotRun}, nonEmpty("NotRun", *v.NotRun)
	case v.Error != nil:
		return &Identity{Error: v.Error}, v.Error.check()
	}
	if v.Account == nil || *v.Account == "" || v.Arn == nil || *v.Arn == "" {
		return nil, errors.New("the answer lacks Account or Arn")
	}
	c := &Caller{Account: *v.Account, Arn: *v.Arn}
	if v.UserId != nil {
		c.UserID = *v.UserId
	}
	return &Identity{Caller: c}, nil
}

func decodeSimulation(raw json.RawMessage) (*Simulation, error) {
	var v struct {
		PolicySourceArn   string
		EvaluationResults *[]struct{ EvalActionName, EvalDecision *string }
		NotRun            *string
		Error             *CallError
	}
	if err := strictUnmarshal(raw, &v); err != nil {
		return nil, err
	}
	if err := oneForm(map[string]bool{"EvaluationResults": v.EvaluationResults != nil, "NotRun": v.NotRun != nil, "Error": v.Error != nil}); err != nil {
		return nil, err
	}
	s := &Simulation{PolicySourceArn: v.PolicySourceArn}
	switch {
	case v.NotRun != nil:
		s.NotRun = *v.NotRun
		return s, nonEmpty("NotRun", s.NotRun)
	case v.Error != nil:
		s.Error = v.Error
		return s, v.Error.check()
	}
	if s.PolicySourceArn == "" {
		return nil, errors.New("PolicySourceArn is missing: whose simulation is it?")
	}
	s.EvaluationResults = []Evaluation{}
	for i, r := range *v.EvaluationResults {
		if r.EvalActionName == nil || r.EvalDecision == nil {
			return nil, fmt.Errorf("EvaluationResults[%d] lacks EvalActionName or EvalDecision", i)
		}
		s.EvaluationResults = append(s.EvaluationResults, Evaluation{EvalActionName: *r.EvalActionName, EvalDecision: *r.EvalDecision})
	}
	return s, nil
}

func decodeRoundTrip(raw json.RawMessage) (*RoundTripFacts, error) {
	var v struct {
		RoundTripFacts
		Requested *bool
	}
	if err := strictFields(raw, &v); err != nil {
		return nil, err
	}
	if v.Requested == nil {
		return nil, errors.New("member Requested is missing")
	}
	r := v.RoundTripFacts
	r.Requested = *v.Requested
	results := r.Decrypt != nil || r.PlaintextMatches != nil
	if !r.Requested {
		if r.NotRun != "" || r.Error != nil || results || r.Encrypt != nil || r.PlaintextBytes != 0 {
			return nil, errors.New("a round trip that was not requested has no outcome")
		}
		return &r, nil
	}
	if err := oneForm(map[string]bool{"results (Decrypt, PlaintextMatches)": results, "NotRun": r.NotRun != "", "Error": r.Error != nil}); err != nil {
		return nil, err
	}
	switch {
	case r.Error != nil:
		return &r, r.Error.check()
	case r.NotRun != "":
		return &r, nil
	case r.Encrypt == nil || r.Decrypt == nil || r.PlaintextMatches == nil:
		return nil, errors.New("the results lack Encrypt, Decrypt or PlaintextMatches")
	case r.PlaintextBytes <= 0:
		return nil, errors.New("PlaintextBytes is missing: how much was encrypted?")
	}
	return &r, nil
}

// oneForm makes a member hold exactly one of its forms.
func oneForm(forms map[string]bool) error {
	var held []string
	for name, ok := range forms {
		if ok {
			held = append(held, name)
		}
	}
	switch len(held) {
	case 1:
		return nil
	case 0:
		return fmt.Errorf("holds none of %s", formNames(forms))
	}
	return fmt.Errorf("holds more than one of %s", formNames(forms))
}

func formNames(forms map[string]bool) string {
	var names []string
	for name := range forms {
		names = append(names, name)
	}
	sort.Strings(names)
	return fmt.Sprint(names)
}

func nonEmpty(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty: it says why", field)
	}
	return nil
}

// check refuses an error that does not say what it was.
func (e *CallError) check() error {
	if e.Detail == "" {
		return errors.New("Error.Detail is missing: it says what went wrong")
	}
	return nil
}

// SimulatedActions are the actions a live run asks IAM to simulate for its
// caller: what creating and using a key for the platform takes.
var SimulatedActions = []string{"kms:CreateKey", "kms:Encrypt"}

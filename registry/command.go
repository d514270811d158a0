package registry

import (
	"encoding/json"
	"errors"
	"fmt"
)

// CommandType identifies a command in the Raft log. Values are persisted:
// never renumber or reuse one.
type CommandType uint8

// The command types.
const (
	TypeRegisterNode      CommandType = 1
	TypeDeregisterNode    CommandType = 2
	TypeRegisterService   CommandType = 3
	TypeDeregisterService CommandType = 4
	TypeRegisterCheck     CommandType = 5
	TypeDeregisterCheck   CommandType = 6
	TypeUpdateCheck       CommandType = 7
	TypeKV                CommandType = 8
	TypeReapTombstones    CommandType = 9
)

// commandVersion is the payload version written by this code. A decoder
// accepts every version up to it; a newer version means this binary is too
// old to apply the log and must stop rather than guess.
const commandVersion = 1

// Command is one state change. Commands are plain data: everything Apply
// needs is inside them.
type Command interface {
	Type() CommandType
}

// RegisterNode adds or updates a node and, when Health is set, its
// node-liveness check.
type RegisterNode struct {
	Node   Node   `json:"node"`
	Health Health `json:"health,omitempty"`
	Output string `json:"output,omitempty"`
}

// DeregisterNode removes a node with all its instances and checks.
type DeregisterNode struct {
	Node string `json:"node"`
}

// RegisterService adds or replaces an instance and its checks. The node is
// created if it is not registered yet. Checks of the instance that are not
// in Checks are kept unless ReplaceChecks is set (Consul's behaviour).
// A check whose definition is unchanged keeps its current status, so a
// retried registration never flips a healthy instance to critical.
type RegisterService struct {
	Node          Node     `json:"node"`
	Instance      Instance `json:"instance"`
	Checks        []Check  `json:"checks,omitempty"`
	ReplaceChecks bool     `json:"replace,omitempty"`
}

// DeregisterService removes an instance and its checks.
type DeregisterService struct {
	Node      string `json:"node"`
	ServiceID string `json:"sid"`
}

// RegisterCheck adds or replaces one check on a registered node.
type RegisterCheck struct {
	Check Check `json:"check"`
}

// DeregisterCheck removes one check.
type DeregisterCheck struct {
	Node    string `json:"node"`
	CheckID string `json:"id"`
}

// UpdateCheck records a check's new status and output.
type UpdateCheck struct {
	Node    string `json:"node"`
	CheckID string `json:"id"`
	Status  Health `json:"status"`
	Output  string `json:"output,omitempty"`
}

// KVOp is a KV operation.
type KVOp uint8

// The KV operations.
const (
	KVSet        KVOp = 1 // set the key unconditionally
	KVCAS        KVOp = 2 // set if ModifyIndex matches Index (0: only if absent)
	KVDelete     KVOp = 3 // delete the key
	KVDeleteCAS  KVOp = 4 // delete if ModifyIndex matches Index
	KVDeleteTree KVOp = 5 // delete every key with the prefix
)

// KV changes the configuration store. For the CAS variants Result.OK
// reports whether the comparison held.
type KV struct {
	Op    KVOp    `json:"op"`
	Entry KVEntry `json:"entry"`
	Index uint64  `json:"index,omitempty"`
}

// ReapTombstones forgets deleted-key tombstones at or below Index. The
// leader decides Index from its clock before proposing the command.
type ReapTombstones struct {
	Index uint64 `json:"index"`
}

// Type implements Command.
func (RegisterNode) Type() CommandType { return TypeRegisterNode }

// Type implements Command.
func (DeregisterNode) Type() CommandType { return TypeDeregisterNode }

// Type implements Command.
func (RegisterService) Type() CommandType { return TypeRegisterService }

// Type implements Command.
func (DeregisterService) Type() CommandType { return TypeDeregisterService }

// Type implements Command.
func (RegisterCheck) Type() CommandType { return TypeRegisterCheck }

// Type implements Command.
func (DeregisterCheck) Type() CommandType { return TypeDeregisterCheck }

// Type implements Command.
func (UpdateCheck) Type() CommandType { return TypeUpdateCheck }

// Type implements Command.
func (KV) Type() CommandType { return TypeKV }

// Type implements Command.
func (ReapTombstones) Type() CommandType { return TypeReapTombstones }

// Encode serialises a command as [type][version][JSON payload].
func Encode(cmd Command) ([]byte, error) {
	body, err := json.Marshal(cmd)
	if err != nil {
		return nil, fmt.Errorf("encode command %d: %w", cmd.Type(), err)
	}
	out := make([]byte, 2, 2+len(body))
	out[0], out[1] = byte(cmd.Type()), commandVersion
	return append(out, body...), nil
}

// ErrCorruptCommand is returned by Decode for bytes that are not a command
// this version understands.
var ErrCorruptCommand = errors.New("corrupt command")

// Decode parses bytes produced by Encode.
func Decode(b []byte) (Command, error) {
	if len(b) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorruptCommand, len(b))
	}
	if b[1] == 0 || b[1] > commandVersion {
		return nil, fmt.Errorf("%w: type %d has version %d, this binary knows up to %d",
			ErrCorruptCommand, b[0], b[1], commandVersion)
	}
	var cmd Command
	switch CommandType(b[0]) {
	case TypeRegisterNode:
		cmd = &RegisterNode{}
	case TypeDeregisterNode:
		cmd = &DeregisterNode{}
	case TypeRegisterService:
		cmd = &RegisterService{}
	case TypeDeregisterService:
		cmd = &DeregisterService{}
	case TypeRegisterCheck:
		cmd = &RegisterCheck{}
	case TypeDeregisterCheck:
		cmd = &DeregisterCheck{}
	case TypeUpdateCheck:
		cmd = &UpdateCheck{}
	case TypeKV:
		cmd = &KV{}
	case TypeReapTombstones:
		cmd = &ReapTombstones{}
	default:
		return nil, fmt.Errorf("%w: unknown type %d", ErrCorruptCommand, b[0])
	}
	if err := json.Unmarshal(b[2:], cmd); err != nil {
		return nil, fmt.Errorf("%w: type %d: %v", ErrCorruptCommand, b[0], err)
	}
	return cmd, nil
}

// Result is what applying a command returns: the index it was applied at,
// whether a conditional operation held, and the error of a rejected command.
type Result struct {
	Index uint64
	OK    bool
	Err   error
}

// MarshalBinary encodes a result for the trip from leader to follower:
// [ok][error code][8-byte index][message]. Unknown errors keep their text.
func (r Result) MarshalBinary() ([]byte, error) {
	out := make([]byte, 10, 16)
	if r.OK {
		out[0] = 1
	}
	code := byte(255)
	for i, e := range errorCodes {
		if errors.Is(r.Err, e) && (e != nil || r.Err == nil) {
			code = byte(i)
			break
		}
	}
	out[1] = code
	for i := 0; i < 8; i++ {
		out[2+i] = byte(r.Index >> (8 * i))
	}
	if r.Err != nil {
		out = append(out, r.Err.Error()...)
	}
	return out, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (r *Result) UnmarshalBinary(b []byte) error {
	if len(b) < 10 {
		return fmt.Errorf("decode result: %d bytes", len(b))
	}
	r.OK = b[0] == 1
	r.Index = 0
	for i := 0; i < 8; i++ {
		r.Index |= uint64(b[2+i]) << (8 * i)
	}
	msg := string(b[10:])
	switch code := int(b[1]); {
	case code == 0:
		r.Err = nil
	case code < len(errorCodes):
		if msg == errorCodes[code].Error() {
			r.Err = errorCodes[code]
		} else {
			r.Err = &wrapped{msg: msg, err: errorCodes[code]}
		}
	default:
		r.Err = errors.New(msg)
	}
	return nil
}

// wrapped rebuilds an error that wrapped a sentinel with extra context.
type wrapped struct {
	msg string
	err error
}

func (w *wrapped) Error() string { return w.msg }
func (w *wrapped) Unwrap() error { return w.err }

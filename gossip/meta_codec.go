package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Wire format of Meta (what memberlist carries as Node.Meta):
//
//	version byte (metaVersion)
//	then fields: tag byte, uvarint length, length bytes
//
// Decoders skip unknown tags, so a newer agent may append fields without
// breaking older ones; a field's meaning never changes once released.
const metaVersion = 1

const (
	tagID byte = iota + 1
	tagRole
	tagRaftAddr
	tagHTTPAddr
	tagDNSAddr
	tagVersion
	tagBoot // 8 bytes, big endian: random per Pool, see Pool.boot
)

// bootLen is the wire size of tagBoot: tag, length, value.
const bootLen = 1 + 1 + 8

var errMetaFormat = errors.New("malformed node metadata")

// encodeMeta returns the wire form of m with the pool's boot token.
func encodeMeta(m Meta, boot uint64) []byte {
	buf := make([]byte, 0, 64)
	buf = append(buf, metaVersion)
	put := func(tag byte, v string) {
		if v == "" {
			return
		}
		buf = append(buf, tag)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
	}
	put(tagID, m.ID)
	put(tagRole, string(m.Role))
	put(tagRaftAddr, m.RaftAddr)
	put(tagHTTPAddr, m.HTTPAddr)
	put(tagDNSAddr, m.DNSAddr)
	put(tagVersion, m.Version)
	buf = append(buf, tagBoot, 8)
	buf = binary.BigEndian.AppendUint64(buf, boot)
	return buf
}

// decodeMeta parses the wire form. It copies what it keeps, so b may be
// reused by the caller. Empty input decodes to the zero Meta and boot 0.
func decodeMeta(b []byte) (m Meta, boot uint64, err error) {
	if len(b) == 0 {
		return Meta{}, 0, nil
	}
	if b[0] != metaVersion {
		return Meta{}, 0, fmt.Errorf("%w: version %d", errMetaFormat, b[0])
	}
	b = b[1:]
	for len(b) > 0 {
		tag := b[0]
		n, k := binary.Uvarint(b[1:])
		if k <= 0 || n > uint64(len(b)-1-k) {
			return Meta{}, 0, fmt.Errorf("%w: field %d truncated", errMetaFormat, tag)
		}
		raw := b[1+k : 1+k+int(n)]
		v := string(raw)
		b = b[1+k+int(n):]
		switch tag {
		case tagID:
			m.ID = v
		case tagRole:
			m.Role = Role(v)
		case tagRaftAddr:
			m.RaftAddr = v
		case tagHTTPAddr:
			m.HTTPAddr = v
		case tagDNSAddr:
			m.DNSAddr = v
		case tagVersion:
			m.Version = v
		case tagBoot:
			if len(raw) == 8 {
				boot = binary.BigEndian.Uint64(raw)
			}
		}
	}
	return m, boot, nil
}

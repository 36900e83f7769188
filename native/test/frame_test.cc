// SPDX-License-Identifier: Apache-2.0
// Frames and message payloads: round trips, every refusal, resynchronisation after noise.
#include "native/frame.h"

#include <gtest/gtest.h>

#include <vector>

#include "format/bytes.h"
#include "native/protocol.h"

namespace fota::native {
namespace {

std::vector<uint8_t> frame(Type type, uint16_t seq, std::vector<uint8_t> payload) {
  std::vector<uint8_t> out(kMaxFrameSize);
  out.resize(encode_frame(type, seq, payload, out));
  return out;
}

struct Parsed {
  std::vector<FrameParser::Event> events;
  std::vector<FrameHeader> headers;
  std::vector<std::vector<uint8_t>> payloads;
};

Parsed parse(const std::vector<uint8_t>& bytes, size_t keep = kMaxPayload) {
  std::vector<uint8_t> buf(keep);
  FrameParser p(buf);
  Parsed r;
  for (uint8_t b : bytes) {
    const auto e = p.feed(b);
    if (e == FrameParser::Event::kNone) continue;
    r.events.push_back(e);
    r.headers.push_back(p.header());
    r.payloads.emplace_back(p.payload().begin(), p.payload().end());
  }
  return r;
}

// The parser's last event is a whole frame of wire type `type` and sequence number `seq`.
void expect_ends_on_frame(const Parsed& r, uint8_t type, uint16_t seq) {
  ASSERT_FALSE(r.events.empty());
  EXPECT_EQ(r.events.back(), FrameParser::Event::kFrame);
  EXPECT_EQ(r.headers.back().type, type);
  EXPECT_EQ(r.headers.back().seq, seq);
}

TEST(NativeFrame, EncodesTheDocumentedLayout) {
  const auto f = frame(Type::kPing, 0x1234, {});
  ASSERT_EQ(f.size(), kFrameOverhead);
  EXPECT_EQ(f[0], 0xA5);
  EXPECT_EQ(f[1], 0x5A);
  EXPECT_EQ(f[2], 0x09);
  EXPECT_EQ(f[3], 0x00);
  EXPECT_EQ(bytes::load_le16(&f[4]), 0x1234);
  EXPECT_EQ(bytes::load_le16(&f[6]), 0);
}

TEST(NativeFrame, RoundTripsEveryPayloadSize) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{4}, size_t{520}, size_t{kMaxPayload}}) {
    std::vector<uint8_t> payload(n);
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<uint8_t>(i * 7);
    const auto r = parse(frame(Type::kData, 7, payload));
    ASSERT_EQ(r.events.size(), 1u) << n;
    EXPECT_EQ(r.events[0], FrameParser::Event::kFrame);
    EXPECT_EQ(r.headers[0].seq, 7);
    EXPECT_EQ(r.payloads[0], payload);
  }
}

TEST(NativeFrame, RefusesOversizePayloadAndSmallBuffer) {
  std::vector<uint8_t> payload(kMaxPayload + 1);
  std::vector<uint8_t> out(kMaxFrameSize + 16);
  EXPECT_EQ(encode_frame(Type::kData, 0, payload, out), 0u);
  std::vector<uint8_t> small(10);
  EXPECT_EQ(encode_frame(Type::kPing, 0, {}, small), 0u);
}

TEST(NativeFrame, BadCrcIsReportedAndTheNextFrameParses) {
  auto a = frame(Type::kData, 1, {1, 2, 3, 4, 5});
  a[12] ^= 0x10;  // payload bit
  const auto b = frame(Type::kPing, 2, {});
  a.insert(a.end(), b.begin(), b.end());
  const auto r = parse(a);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0], FrameParser::Event::kBadCrc);
  EXPECT_EQ(r.events[1], FrameParser::Event::kFrame);
  EXPECT_EQ(r.headers[1].seq, 2);
}

TEST(NativeFrame, DamagedLengthIsDroppedAtOnceWithoutSwallowingTheNextFrame) {
  auto a = frame(Type::kData, 1, std::vector<uint8_t>(100, 0xA5));
  a[7] ^= 0x08;  // length 100 -> 2148: the header check fails
  const auto b = frame(Type::kPing, 9, {});
  a.insert(a.end(), b.begin(), b.end());
  expect_ends_on_frame(parse(a), 0x09, 9);
}

TEST(NativeFrame, LengthAboveTheMaximumWithAGoodHeaderCheckIsTooLong) {
  std::vector<uint8_t> payload(8);
  auto a = frame(Type::kData, 1, payload);
  bytes::store_le16(&a[6], kMaxPayload + 1);
  // Recompute the header check for the bad length (a sender bug, not line noise).
  std::vector<uint8_t> probe(kMaxFrameSize);
  const size_t n = encode_frame(Type::kData, 1, std::vector<uint8_t>(0), probe);
  ASSERT_GT(n, 0u);
  // header check over bytes 2..7 of the edited header
  uint8_t head[8];
  std::copy(a.begin(), a.begin() + 8, head);
  std::vector<uint8_t> good = frame(Type::kPing, 3, {});
  // Build by hand: the parser must report kTooLong, then find the next frame.
  const auto crc = [](const uint8_t* p) {
    uint32_t c = 0xFFFFFFFF;
    for (int i = 2; i < 8; ++i) {
      c ^= p[i];
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return static_cast<uint16_t>(~c);
  };
  bytes::store_le16(&a[8], crc(head));
  a.resize(10);
  a.insert(a.end(), good.begin(), good.end());
  const auto r = parse(a);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(r.events[0], FrameParser::Event::kTooLong);
  EXPECT_EQ(r.events[1], FrameParser::Event::kFrame);
}

TEST(NativeFrame, NoiseAndFalseSyncsBeforeAFrameAreSkipped) {
  std::vector<uint8_t> bytes = {0x00, 0xA5, 0xA5, 0x5A, 0x01, 0xA5, 0x5A, 0xA5, 0x5A, 0x5A};
  const auto f = frame(Type::kHello, 4, {});
  bytes.insert(bytes.end(), f.begin(), f.end());
  expect_ends_on_frame(parse(bytes), 0x01, 4);
}

TEST(NativeFrame, FeedingRunsGivesTheSameEventsAsByteByByte) {
  std::vector<uint8_t> stream = {0x00, 0xA5, 0x13};
  for (uint16_t i = 0; i < 6; ++i) {
    auto f = frame(Type::kData, i, std::vector<uint8_t>(100u * i + 3, static_cast<uint8_t>(i)));
    if (i == 2) f[20] ^= 4;  // bad CRC
    if (i == 4) f[6] ^= 1;   // bad header
    stream.insert(stream.end(), f.begin(), f.end());
  }
  const Parsed one = parse(stream);
  for (size_t chunk : {size_t{1}, size_t{7}, size_t{32}, size_t{4096}}) {
    std::vector<uint8_t> buf(kMaxPayload);
    FrameParser p(buf);
    std::vector<FrameParser::Event> events;
    std::vector<uint16_t> seqs;
    size_t at = 0;
    while (at < stream.size()) {
      const size_t n = std::min(chunk, stream.size() - at);
      size_t used = 0;
      const auto e = p.feed(std::span<const uint8_t>(stream.data() + at, n), used);
      at += used;
      if (e != FrameParser::Event::kNone) {
        events.push_back(e);
        seqs.push_back(p.header().seq);
      }
    }
    EXPECT_EQ(events, one.events) << chunk;
    EXPECT_EQ(p.fed(), stream.size());
    ASSERT_EQ(seqs.size(), one.headers.size());
    for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], one.headers[i].seq);
  }
}

TEST(NativeFrame, NonZeroFlagsAreAHeaderError) {
  auto a = frame(Type::kPing, 1, {});
  a[3] = 1;
  EXPECT_TRUE(parse(a).events.empty());
}

TEST(NativeFrame, KeepsOnlyWhatFitsButChecksTheWholePayload) {
  std::vector<uint8_t> payload(300, 0x42);
  const auto r = parse(frame(Type::kData, 1, payload), 16);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], FrameParser::Event::kFrame);
  EXPECT_EQ(r.payloads[0].size(), 16u);
}

TEST(NativeFrame, PayloadStartCountsInputBytes) {
  std::vector<uint8_t> buf(8);
  FrameParser p(buf);
  for (uint8_t b : {0x11, 0x22, 0x33}) (void)p.feed(b);
  const auto f = frame(Type::kData, 0, {9, 9, 9, 9, 9});
  for (uint8_t b : f) (void)p.feed(b);
  EXPECT_EQ(p.payload_start(), 3u + kFrameHeaderSize);
}

TEST(NativeProtocol, HelloReplyRoundTripsAndRefusesBadFields) {
  HelloReply h;
  h.reason = EntryReason::kNoImage;
  h.install_slot = 1;
  h.bootloader_version = 0x01020003;
  h.uid[0] = 0x31;
  h.window_frames = 23;
  h.slots[0] = {SlotState::kConfirmed, 0x01000000, 0xDEADBEEF};
  uint8_t buf[kHelloReplySize];
  encode(h, buf);
  auto r = decode_hello_reply(buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, EntryReason::kNoImage);
  EXPECT_EQ(r->install_slot, 1);
  EXPECT_EQ(r->window_frames, 23);
  EXPECT_EQ(r->slots[0].payload_crc32, 0xDEADBEEFu);
  EXPECT_EQ(decode_hello_reply(std::span<const uint8_t>(buf, 47)).error(), DecodeError::kBadLength);
  buf[2] = 9;
  EXPECT_EQ(decode_hello_reply(buf).error(), DecodeError::kBadValue);
  buf[2] = 1;
  buf[29] = 1;  // slot A reserved byte
  EXPECT_EQ(decode_hello_reply(buf).error(), DecodeError::kReservedNotZero);
}

TEST(NativeProtocol, BeginRoundTripsAndRefusesBadFields) {
  Begin b;
  b.slot = 1;
  b.start_offset = 8192;
  b.header[0] = 0x46;
  uint8_t buf[kBeginSize];
  encode(b, buf);
  auto r = decode_begin(buf);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->slot, 1);
  EXPECT_EQ(r->start_offset, 8192u);
  EXPECT_EQ(r->header[0], 0x46);
  EXPECT_EQ(decode_begin(std::span<const uint8_t>(buf, 519)).error(), DecodeError::kBadLength);
  buf[1] = 1;
  EXPECT_EQ(decode_begin(buf).error(), DecodeError::kReservedNotZero);
  buf[1] = 0;
  buf[0] = 2;
  EXPECT_EQ(decode_begin(buf).error(), DecodeError::kBadValue);
}

TEST(NativeProtocol, AcksQueriesBusyStatusAndBaud) {
  DataAck a{Status::kOutOfOrder, 5, 17, 40960, 45056};
  uint8_t ab[kDataAckSize];
  encode(a, ab);
  auto ar = decode_data_ack(ab);
  ASSERT_TRUE(ar.ok());
  EXPECT_EQ(ar->status, Status::kOutOfOrder);
  EXPECT_EQ(ar->limit_seq, 17);
  ab[0] = 200;
  EXPECT_EQ(decode_data_ack(ab).error(), DecodeError::kBadValue);

  QueryReply q{Status::kOk, 1, 8192, 0x1234};
  uint8_t qb[kQueryReplySize];
  encode(q, qb);
  ASSERT_TRUE(decode_query_reply(qb).ok());
  bytes::store_le32(qb + 4, 100);
  EXPECT_EQ(decode_query_reply(qb).error(), DecodeError::kBadValue);

  Busy busy{1, 5, 1000};
  uint8_t bb[kBusySize];
  encode(busy, bb);
  ASSERT_TRUE(decode_busy(bb).ok());
  bb[1] = 12;
  EXPECT_EQ(decode_busy(bb).error(), DecodeError::kBadValue);

  uint8_t baud[4];
  bytes::store_le32(baud, 921'600);
  EXPECT_EQ(*decode_set_baud(baud), 921'600u);
  bytes::store_le32(baud, 57'600);
  EXPECT_EQ(decode_set_baud(baud).error(), DecodeError::kBadValue);
}

TEST(NativeProtocol, EveryStatusHasItsOwnText) {
  for (int a = 0; a <= static_cast<int>(Status::kSignatureInvalid); ++a) {
    for (int b = a + 1; b <= static_cast<int>(Status::kSignatureInvalid); ++b) {
      EXPECT_STRNE(to_string(static_cast<Status>(a)), to_string(static_cast<Status>(b)));
    }
  }
}

TEST(NativeProtocol, SequenceArithmeticWraps) {
  EXPECT_TRUE(seq_before(65535, 2));
  EXPECT_FALSE(seq_before(2, 65535));
  EXPECT_TRUE(seq_before(1, 2));
}

}  // namespace
}  // namespace fota::native

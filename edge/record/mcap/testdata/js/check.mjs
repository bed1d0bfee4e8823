// Reads an MCAP file with @mcap/core, twice: through its index
// (McapIndexedReader: footer, summary, chunk indexes, message indexes) and
// from start to end (McapStreamReader, CRCs validated). Prints one JSON
// line that edge/record/mcap's tests compare with what the Go writer wrote.
// Usage: node check.mjs FILE
import { readFile } from "node:fs/promises";
import { McapIndexedReader, McapStreamReader } from "@mcap/core";
import { decompress } from "fzstd";

const decompressHandlers = { zstd: (buf, size) => decompress(buf, new Uint8Array(Number(size))) };
const bytes = new Uint8Array(await readFile(process.argv[2]));
const readable = {
  size: async () => BigInt(bytes.length),
  read: async (offset, size) => bytes.subarray(Number(offset), Number(offset + size)),
};

const digest = (m) => ({ channel: m.channelId, seq: m.sequence, log: m.logTime.toString(), pub: m.publishTime.toString(), data: Buffer.from(m.data).toString("base64") });

const indexed = await McapIndexedReader.Initialize({ readable, decompressHandlers });
const viaIndex = [];
for await (const m of indexed.readMessages()) viaIndex.push(digest(m));
const channels = {};
for (const [id, c] of indexed.channelsById) channels[id] = { topic: c.topic, encoding: c.messageEncoding, schema: c.schemaId, metadata: Object.fromEntries(c.metadata) };

const stream = new McapStreamReader({ decompressHandlers, validateCrcs: true });
stream.append(bytes);
const viaStream = [];
let footer = false;
for (let r; (r = stream.nextRecord()); ) {
  if (r.type === "Message") viaStream.push(digest(r));
  if (r.type === "Footer") footer = true;
}

console.log(JSON.stringify({
  library: indexed.header.library,
  chunks: indexed.chunkIndexes.length,
  message_count: indexed.statistics ? indexed.statistics.messageCount.toString() : null,
  channels,
  via_index: viaIndex,
  via_stream: viaStream,
  stream_done: stream.done() && footer,
}));

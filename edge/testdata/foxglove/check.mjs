// Connects to a node's Foxglove live view with the Foxglove project's own
// client (@foxglove/ws-protocol, over npm's ws), subscribes to every
// channel it advertises and reports what came, as one JSON object on
// stdout. The Go test judges it.
//
//   node check.mjs ws://HOST:PORT STATES
import wsProtocol from "@foxglove/ws-protocol";
import WebSocket from "ws";
import schemas from "@foxglove/schemas/jsonschema.js";
import Ajv from "ajv";

const { FoxgloveClient } = wsProtocol;
// Every SceneUpdate and LocationFix is checked against the Foxglove
// project's own JSON Schemas (@foxglove/schemas).
const ajv = new Ajv({ strict: false, allErrors: true });
const validators = { "foxglove.SceneUpdate": ajv.compile(schemas.SceneUpdate), "foxglove.LocationFix": ajv.compile(schemas.LocationFix) };

const [url, want] = [process.argv[2], Number(process.argv[3] || 10)];
const client = new FoxgloveClient({ ws: new WebSocket(url, [FoxgloveClient.SUPPORTED_SUBPROTOCOL]) });
const out = { validated: 0, invalid: [], serverInfo: null, channels: [], objects: [], states: [], lanes: null, signals: [], reference: null, errors: [] };
const byChannel = new Map();
const topicOf = new Map();
const dec = new TextDecoder();

const timer = setTimeout(() => finish("timed out"), 20000);
function finish(err) {
  if (err) out.errors.push(err);
  clearTimeout(timer);
  client.close();
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

client.on("error", (e) => out.errors.push(String(e && e.message || e)));
client.on("serverInfo", (info) => { out.serverInfo = info; });
client.on("advertise", (channels) => {
  for (const ch of channels) {
    out.channels.push({ id: ch.id, topic: ch.topic, encoding: ch.encoding, schemaName: ch.schemaName, schemaTitle: JSON.parse(ch.schema).title });
    const sub = client.subscribe(ch.id);
    byChannel.set(sub, ch);
    topicOf.set(sub, ch.topic);
  }
});
client.on("message", ({ subscriptionId, timestamp, data }) => {
  const topic = topicOf.get(subscriptionId);
  const msg = JSON.parse(dec.decode(data));
  const validate = validators[byChannel.get(subscriptionId).schemaName];
  if (validate) {
    out.validated++;
    if (!validate(msg) && out.invalid.length < 5) out.invalid.push({ topic, errors: validate.errors.slice(0, 3) });
  }
  switch (topic) {
    case "/v2x/objects": {
      const seqs = new Set(msg.entities.map((e) => e.metadata.find((kv) => kv.key === "seq")?.value));
      out.objects.push({ ts: String(timestamp), entities: msg.entities.length, deletions: msg.deletions.length, seqs: [...seqs],
        cubes: msg.entities.reduce((n, e) => n + e.cubes.length, 0), texts: msg.entities.map((e) => e.texts[0]?.text).slice(0, 3) });
      break;
    }
    case "/v2x/state":
      out.states.push({ ts: String(timestamp), seq: String(msg.seq), objects: msg.objects.length, signals: msg.signals.length });
      break;
    case "/v2x/lanes":
      out.lanes = { entities: msg.entities.length, points: msg.entities.reduce((n, e) => n + e.lines[0].points.length, 0) };
      break;
    case "/v2x/signals":
      out.signals.push({ entities: msg.entities.length, states: msg.entities.map((e) => e.metadata.find((kv) => kv.key === "state")?.value) });
      break;
    case "/v2x/reference":
      out.reference = { latitude: msg.latitude, longitude: msg.longitude };
      break;
  }
  if (out.states.length >= want && out.objects.length >= want && out.lanes && out.reference && out.signals.length) finish();
});

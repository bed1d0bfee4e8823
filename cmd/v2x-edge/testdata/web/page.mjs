// Loads a node's built-in live view in headless Chromium and reports what
// the page drew, beside a state this script read from the node's feed
// itself, as one JSON object on stdout. The Go test judges it.
//
//   node page.mjs BASE-URL CHROMIUM SCREENSHOT.png
import { chromium } from "playwright-core";

const [base, executablePath, shot] = process.argv.slice(2);
if (!base || !executablePath || !shot) {
  console.error("usage: node page.mjs BASE-URL CHROMIUM SCREENSHOT.png");
  process.exit(2);
}

// readState returns the first state event of GET /live (and the MAP
// before it), parsed, as any other client of the feed would see it.
async function readState(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: ${r.status} ${await r.text()}`);
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = "";
  const out = {};
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error("feed ended before a state");
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const type = /^event: (.*)$/m.exec(ev)?.[1];
      const data = /^data: (.*)$/m.exec(ev)?.[1];
      if (type && data) out[type] = JSON.parse(data);
      if (type === "state") {
        await reader.cancel().catch(() => {});
        return out;
      }
    }
  }
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // Root (CI) cannot use Chromium's sandbox.
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const result = {};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  const requests = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(base + "/", { waitUntil: "domcontentloaded" });
  // The drawing: lanes, objects, signal states and counters.
  await page.waitForFunction(() => {
    const s = document.getElementById("scene").dataset;
    return +s.lanes > 0 && +s.objects > 0 && +s.signals > 0 && window.live.metrics >= 2 &&
      document.querySelectorAll("#metrics tr").length > 0;
  }, null, { timeout: 20000 });
  // A few more states, so the page runs, not only starts.
  const seen = await page.evaluate(() => window.live.states);
  await page.waitForFunction((n) => window.live.states >= n + 5, seen, { timeout: 10000 });

  const [dom, feed] = await Promise.all([
    page.evaluate(() => {
      const scene = document.getElementById("scene");
      const objs = [...scene.querySelectorAll("#objects g.obj")].map((g) => {
        const m = /translate\(([-\d.e]+),([-\d.e]+)\) rotate\(([-\d.e]+)\)/.exec(g.getAttribute("transform"));
        return { id: +g.dataset.id, cls: g.dataset.class, x: +m[1], y: +m[2], rot: +m[3] };
      });
      const sigs = [...document.querySelectorAll("#signals li.sig")].map((li) => ({
        phase: +li.dataset.phase, state: li.dataset.state, text: li.textContent,
      }));
      const metrics = [...document.querySelectorAll("#metrics tr")].map((tr) => tr.dataset.metric);
      return {
        seq: scene.dataset.seq, objects: +scene.dataset.objects, lanes: +scene.dataset.lanes,
        lanePaths: scene.querySelectorAll("#lanes polyline.lane").length,
        stopbars: [...scene.querySelectorAll("#stopbars line")].map((l) => l.getAttribute("stroke")),
        labels: [...scene.querySelectorAll("#labels text.oid")].map((t) => t.textContent),
        drawn: window.live.drawn, pageState: window.live.state && { seq: String(window.live.state.seq), o: window.live.state.o.length },
        objs, sigs, metrics,
        age: document.getElementById("age").textContent, status: document.getElementById("status").textContent,
      };
    }),
    readState(base + "/live?rate=10"),
  ]);
  await page.screenshot({ path: shot });
  result.dom = dom;
  result.feed = feed;
  result.errors = errors;
  result.foreign = requests.filter((u) => !u.startsWith(base + "/"));
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(result));

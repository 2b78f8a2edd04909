// The image's HEALTHCHECK: exit 0 when SDA_HEALTH_URL (default the gateway's /livez) answers 2xx within 4 s.
const url = process.env.SDA_HEALTH_URL || 'http://127.0.0.1:8080/livez';
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4_000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}

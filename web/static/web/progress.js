// Progress on the server, so that it follows the viewer to any browser or device: start where
// they stopped, save the position while playing (every few seconds), on pause, at the end and
// when the page goes away; at the end of an episode, offer the next one with a countdown.
// It only listens to the <video> element, whatever player.js does to feed it.
(function () {
  const video = document.querySelector("video");
  const config = JSON.parse(document.getElementById("player-progress")?.textContent || "null");
  if (!video || !config) return;
  const SAVE_EVERY_MS = 10000;

  // Resume where the server says this viewer stopped (on this device or another); coming from
  // the previous episode's offer (?autoplay), play on.
  const autoplay = new URLSearchParams(window.location.search).has("autoplay");
  function start() {
    if (config.resume && config.resume < video.duration - 1) video.currentTime = config.resume;
    if (autoplay) video.play().catch(() => {}); // a browser may want a click first
  }
  if (video.readyState >= 1) start();
  else video.addEventListener("loadedmetadata", start, { once: true });

  // Save only what this page played: a page left open and idle on one device must not pull a
  // viewer who has moved on elsewhere back to where it stood.
  let played = false;
  let sentPosition = config.resume || 0;
  let sentAt = 0;
  function save({ keepalive = false } = {}) {
    const duration = video.duration;
    if (!played || !isFinite(duration) || duration <= 0) return;
    const position = video.ended ? duration : Math.min(video.currentTime, duration);
    if (Math.abs(position - sentPosition) < 0.5) return;
    sentPosition = position;
    sentAt = Date.now();
    fetch(config.url, {
      method: "PUT",
      keepalive, // outlives the page when it is closing
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf },
      body: JSON.stringify({ position, duration }),
    }).then((response) => { if (!response.ok) sentPosition = -1; })
      .catch(() => { sentPosition = -1; }); // try again next time
  }
  video.addEventListener("playing", () => { played = true; });
  video.addEventListener("timeupdate", () => { if (Date.now() - sentAt >= SAVE_EVERY_MS) save(); });
  video.addEventListener("pause", () => save());
  video.addEventListener("ended", () => save());
  window.addEventListener("pagehide", () => save({ keepalive: true }));
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") save({ keepalive: true });
  });

  // The next episode: offered at the end, played after a countdown the viewer can cancel.
  const offer = document.getElementById("next-up");
  if (!offer) return;
  const next = offer.querySelector("[data-next]");
  const countdown = offer.querySelector("[data-countdown]");
  let timer = null;
  function cancel() {
    clearInterval(timer);
    timer = null;
    offer.hidden = true;
  }
  video.addEventListener("ended", () => {
    offer.hidden = false;
    let left = parseInt(offer.dataset.seconds, 10) || 0;
    if (!countdown || left <= 0) return;
    countdown.textContent = String(left);
    clearInterval(timer);
    timer = setInterval(() => {
      left -= 1;
      countdown.textContent = String(left);
      if (left <= 0) { clearInterval(timer); window.location.assign(next.href); }
    }, 1000);
  });
  offer.querySelector("[data-cancel]")?.addEventListener("click", cancel);
  video.addEventListener("play", cancel);
  document.addEventListener("keydown", (event) => { if (event.key === "Escape" && timer) cancel(); });
})();

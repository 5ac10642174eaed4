// The player: resume where the viewer stopped, keyboard shortcuts, seeking by Range requests.
(function () {
  const video = document.querySelector("video[data-resume-key]");
  if (!video) return;
  const key = "sv-position:" + video.dataset.resumeKey;
  video.addEventListener("loadedmetadata", () => {
    const saved = parseFloat(localStorage.getItem(key) || "0");
    if (saved > 5 && saved < video.duration - 10) video.currentTime = saved;
  });
  let lastSave = 0;
  video.addEventListener("timeupdate", () => {
    if (Date.now() - lastSave > 5000) {
      localStorage.setItem(key, String(video.currentTime));
      lastSave = Date.now();
    }
  });
  video.addEventListener("ended", () => localStorage.removeItem(key));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    const step = { ArrowLeft: -10, ArrowRight: 10, j: -10, l: 10 }[event.key];
    if (step) { video.currentTime = Math.max(0, video.currentTime + step); event.preventDefault(); }
    else if (event.key === " " || event.key === "k") { video.paused ? video.play() : video.pause(); event.preventDefault(); }
    else if (event.key === "f") { document.fullscreenElement ? document.exitFullscreen() : video.requestFullscreen(); }
    else if (event.key === "m") { video.muted = !video.muted; }
  });
})();

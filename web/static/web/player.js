// The player: keyboard shortcuts, seeking by Range requests (progress.js keeps the position).
(function () {
  const video = document.querySelector("video[data-resume-key]");
  if (!video) return;
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    const step = { ArrowLeft: -10, ArrowRight: 10, j: -10, l: 10 }[event.key];
    if (step) { video.currentTime = Math.max(0, video.currentTime + step); event.preventDefault(); }
    else if (event.key === " " || event.key === "k") { video.paused ? video.play() : video.pause(); event.preventDefault(); }
    else if (event.key === "f") { document.fullscreenElement ? document.exitFullscreen() : video.requestFullscreen(); }
    else if (event.key === "m") { video.muted = !video.muted; }
  });
})();

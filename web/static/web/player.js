// The player: the web version (a progressive MP4, or HLS through hls.js when the film has
// several audio languages), menus of its audio and subtitle tracks, keyboard shortcuts
// (progress.js keeps the position). `ShadowVaultPlayer.attach(video, playback, menus)`
// plays what /api/files/<id>/playback/ (or the page's #playback JSON) describes.
(function () {
  const SUBTITLE_LANGUAGE = "sv-subtitle-language";  // the viewer's choice, "" for off

  function option(select, value, label, selected) {
    const item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    item.selected = selected;
    select.append(item);
  }

  function source(video, playback) {
    if (playback.delivery !== "hls") {
      if (video.getAttribute("src") !== playback.url) video.src = playback.url;
      return null;
    }
    // hls.js wherever Media Source Extensions exist (Chromium, Firefox: audio renditions
    // switch there); Safari's own HLS otherwise; the file itself as a last resort.
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({ enableWorker: true, backBufferLength: 30 });
      hls.loadSource(playback.hls_url);
      hls.attachMedia(video);
      return hls;
    }
    video.src = video.canPlayType("application/vnd.apple.mpegurl") ? playback.hls_url : playback.url;
    return null;
  }

  function subtitles(video, playback, select) {
    const wanted = localStorage.getItem(SUBTITLE_LANGUAGE) || "";
    const chosen = playback.subtitles.findIndex((s) => wanted && s.language === wanted);
    playback.subtitles.forEach((subtitle, index) => {
      const track = document.createElement("track");
      track.kind = "subtitles";
      track.src = subtitle.url;
      track.label = subtitle.label;
      if (subtitle.language) track.srclang = subtitle.language;
      video.append(track);
      track.track.mode = index === chosen ? "showing" : "disabled";
    });
    if (!select) return;
    option(select, "-1", "Off", chosen < 0);
    playback.subtitles.forEach((s, i) => option(select, String(i), s.label, i === chosen));
    playback.image_subtitles.forEach((s) => {
      const label = `${s.title || s.language || s.codec} (only in the original file)`;
      option(select, "", label, false);
      select.lastElementChild.disabled = true;
    });
    select.addEventListener("change", () => {
      const picked = Number(select.value);
      Array.from(video.textTracks).forEach((track, i) => {
        track.mode = i === picked ? "showing" : "disabled";
      });
      const language = picked >= 0 ? playback.subtitles[picked].language || "" : "";
      localStorage.setItem(SUBTITLE_LANGUAGE, language);
    });
  }

  function audio(video, playback, hls, select) {
    if (!select) return;
    const tracks = playback.audio;
    tracks.forEach((t, i) => option(select, String(i), t.title || t.language || `Audio ${i + 1}`, i === 0));
    select.disabled = tracks.length < 2;
    select.addEventListener("change", () => {
      const picked = Number(select.value);
      if (hls) hls.audioTrack = picked;
      else if (video.audioTracks) {  // Safari's own HLS
        Array.from(video.audioTracks).forEach((track, i) => { track.enabled = i === picked; });
      }
    });
  }

  function attach(video, playback, menus) {
    const hls = source(video, playback);
    video.playback = playback;
    video.hls = hls;
    subtitles(video, playback, menus && menus.subtitles);
    audio(video, playback, hls, menus && menus.audio);
    return hls;
  }

  window.ShadowVaultPlayer = { attach };

  const video = document.querySelector("video[data-resume-key]");
  const described = document.getElementById("playback");
  if (!video || !described) return;
  attach(video, JSON.parse(described.textContent), {
    audio: document.getElementById("audio-track"),
    subtitles: document.getElementById("subtitle-track"),
  });
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    const step = { ArrowLeft: -10, ArrowRight: 10, j: -10, l: 10 }[event.key];
    if (step) { video.currentTime = Math.max(0, video.currentTime + step); event.preventDefault(); }
    else if (event.key === " " || event.key === "k") { video.paused ? video.play() : video.pause(); event.preventDefault(); }
    else if (event.key === "f") { document.fullscreenElement ? document.exitFullscreen() : video.requestFullscreen(); }
    else if (event.key === "m") { video.muted = !video.muted; }
  });
})();

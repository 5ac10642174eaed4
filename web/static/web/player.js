// The player: the web version (a progressive MP4, or HLS through hls.js when the film has
// several audio languages), menus of its audio and subtitle tracks, keyboard shortcuts
// (progress.js keeps the position). `ShadowVaultPlayer.attach(video, playback, menus,
// preferences)` plays what /api/files/<id>/playback/ (or the page's #playback JSON) describes.
// The viewer's preferred languages (/api/preferences/, the page's #player-preferences) are
// kept on the server so that they follow the viewer to any browser or device: the player
// picks them when the file has them and saves the viewer's new choice.
(function () {
  function option(select, value, label, selected) {
    const item = document.createElement("option");
    item.value = value;
    item.textContent = label;
    item.selected = selected;
    select.append(item);
  }

  function preferencesSave(preferences, changes) {
    if (!preferences || !preferences.url) return;
    Object.assign(preferences, changes);
    fetch(preferences.url, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": preferences.csrf },
      body: JSON.stringify(changes),
    }).catch(() => {}); // the choice still holds on this page
  }

  // The index of the first track in `language`, -1 when there is none (or no preference).
  function preferred(tracks, language) {
    return language ? tracks.findIndex((t) => t.language === language) : -1;
  }

  function source(video, playback, audioLanguage) {
    if (playback.delivery !== "hls") {
      if (video.getAttribute("src") !== playback.url) video.src = playback.url;
      return null;
    }
    // hls.js wherever Media Source Extensions exist (Chromium, Firefox: audio renditions
    // switch there); Safari's own HLS otherwise; the file itself as a last resort.
    if (window.Hls && window.Hls.isSupported()) {
      const hls = new window.Hls({
        enableWorker: true,
        backBufferLength: 30,
        audioPreference: audioLanguage ? { lang: audioLanguage } : undefined,
      });
      hls.loadSource(playback.hls_url);
      hls.attachMedia(video);
      return hls;
    }
    video.src = video.canPlayType("application/vnd.apple.mpegurl") ? playback.hls_url : playback.url;
    return null;
  }

  function subtitles(video, playback, select, preferences) {
    const chosen = preferred(playback.subtitles, preferences && preferences.subtitle_language);
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
      const language = picked >= 0 ? playback.subtitles[picked].language : "";
      // a track without a language says nothing the next film could use
      if (picked < 0 || language) preferencesSave(preferences, { subtitle_language: language });
    });
  }

  function audio(video, playback, hls, select, preferences) {
    const tracks = playback.audio;
    const chosen = preferred(tracks, preferences && preferences.audio_language);
    function native(picked) {  // Safari's own HLS (hls.js picks the preferred one itself)
      Array.from(video.audioTracks || []).forEach((track, i) => { track.enabled = i === picked; });
    }
    if (chosen > 0 && !hls) video.addEventListener("loadedmetadata", () => native(chosen), { once: true });
    if (!select) return;
    tracks.forEach((t, i) => option(select, String(i), t.title || t.language || `Audio ${i + 1}`, i === Math.max(chosen, 0)));
    select.disabled = tracks.length < 2;
    select.addEventListener("change", () => {
      const picked = Number(select.value);
      if (hls) hls.audioTrack = picked;
      else native(picked);
      if (tracks[picked].language) preferencesSave(preferences, { audio_language: tracks[picked].language });
    });
  }

  function attach(video, playback, menus, preferences) {
    const wanted = preferred(playback.audio, preferences && preferences.audio_language);
    const hls = source(video, playback, wanted >= 0 ? playback.audio[wanted].language : "");
    video.playback = playback;
    video.hls = hls;
    subtitles(video, playback, menus && menus.subtitles, preferences);
    audio(video, playback, hls, menus && menus.audio, preferences);
    return hls;
  }

  window.ShadowVaultPlayer = { attach };

  const video = document.querySelector("video[data-resume-key]");
  const described = document.getElementById("playback");
  if (!video || !described) return;
  const preferences = JSON.parse(document.getElementById("player-preferences")?.textContent || "null");
  attach(video, JSON.parse(described.textContent), {
    audio: document.getElementById("audio-track"),
    subtitles: document.getElementById("subtitle-track"),
  }, preferences);
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    const step = { ArrowLeft: -10, ArrowRight: 10, j: -10, l: 10 }[event.key];
    if (step) { video.currentTime = Math.max(0, video.currentTime + step); event.preventDefault(); }
    else if (event.key === " " || event.key === "k") { video.paused ? video.play() : video.pause(); event.preventDefault(); }
    else if (event.key === "f") { document.fullscreenElement ? document.exitFullscreen() : video.requestFullscreen(); }
    else if (event.key === "m") { video.muted = !video.muted; }
  });
})();

// The reader: arrow keys move between chapters, the next pages load before they are needed.
(function () {
  const reader = document.querySelector(".reader");
  if (!reader) return;
  const images = Array.from(reader.querySelectorAll("img"));
  // the first pages at once, the rest as the reader gets near them
  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const index = images.indexOf(entry.target);
      for (const next of images.slice(index + 1, index + 4)) next.loading = "eager";
    }
  }, { rootMargin: "1200px 0px" });
  images.forEach((image) => observer.observe(image));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest("input, select, textarea")) return;
    const link = { ArrowRight: "next", ArrowLeft: "previous" }[event.key];
    const target = link && document.querySelector(`a[rel="${link}"]`);
    if (target) window.location.href = target.href;
  });
})();

// "Copy playlist link" buttons: the playlist's signed URL to the clipboard. Outside a secure
// context (plain http on a LAN address) the clipboard is closed: show the link to copy.
document.querySelectorAll("button[data-copy]").forEach((button) => {
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = label; }, 2000);
    } catch {
      window.prompt("Copy this link:", button.dataset.copy);
    }
  });
});

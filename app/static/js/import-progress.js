// Follow a register import as it runs: ask for its progress every two seconds, say it in the
// live region, and show the finished page when the import is no longer working.
const box = document.getElementById("import-progress");
const text = document.getElementById("import-progress-text");

async function poll() {
  try {
    const answer = await fetch(box.dataset.progressUrl, { headers: { Accept: "application/json" } });
    if (!answer.ok) return;
    const p = await answer.json();
    if (!p.working) {
      window.location.reload();
      return;
    }
    const counted = p.total ? `: ${p.processed.toLocaleString("en-GB")} of ${p.total.toLocaleString("en-GB")} records` : "";
    text.textContent = `${p.stage || "Waiting to start"}${counted}.`;
  } catch {
    // A lost answer is asked again at the next turn.
  }
  window.setTimeout(poll, 2000);
}

if (box && text) window.setTimeout(poll, 2000);

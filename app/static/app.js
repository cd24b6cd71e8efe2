// Start the GOV.UK and MOJ components on every page (both served from the app's own files).
import { initAll as initGovuk } from "/vendor/govuk/govuk-frontend.min.js";
import { FilterToggleButton, initAll as initMoj } from "/vendor/moj/moj-frontend.min.js";

// GOV.UK Frontend's desktop breakpoint: the width from which the navigation fits on one line.
const DESKTOP = "(min-width: 48.0625em)";

// The service navigation (base.html): GOV.UK's markup and behaviour, but folded behind its Menu
// button below desktop width rather than below tablet width (docs/web-layer.md).
function serviceNavigation(root) {
  const button = root.querySelector(".app-js-navigation-toggle");
  const menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  const wide = window.matchMedia(DESKTOP);
  let open = false;
  const update = () => {
    if (wide.matches) {
      menu.removeAttribute("hidden");
      button.setAttribute("hidden", "");
      button.setAttribute("aria-hidden", "true");
      button.removeAttribute("aria-expanded");
    } else {
      button.removeAttribute("hidden");
      button.removeAttribute("aria-hidden");
      button.setAttribute("aria-expanded", String(open));
      menu.toggleAttribute("hidden", !open);
    }
  };
  button.addEventListener("click", () => {
    open = !open;
    update();
  });
  wide.addEventListener("change", update);
  update();
}

// MOJ's filter toggle on list pages: the filters fold away at every width, so the results take
// the page's width; a list whose filter has an error starts with it open (_macros/filters.html).
function filterToggles() {
  for (const panel of document.querySelectorAll("[data-app-filter-toggle]")) {
    const count = Number(panel.dataset.activeFilters || 0);
    const chosen = count ? ` (${count} chosen)` : "";
    const toggle = new FilterToggleButton(panel, {
      // Never "big mode", where MOJ keeps the filters open beside the results.
      bigModeMediaQuery: "(min-width: 1000em)",
      startHidden: true,
      toggleButton: {
        showText: `Show filters${chosen}`,
        hideText: `Hide filters${chosen}`,
        classes: "govuk-button--secondary govuk-!-margin-bottom-0",
      },
      toggleButtonContainer: { selector: panel.dataset.toggleContainer },
      closeButton: { text: "Close filters", classes: "moj-filter__close" },
      closeButtonContainer: { selector: ".moj-filter__header-action" },
    });
    if (panel.dataset.startOpen === "true" && typeof toggle.showMenu === "function") {
      toggle.showMenu();
    }
  }
}

for (const root of document.querySelectorAll('[data-module="app-service-navigation"]')) {
  serviceNavigation(root);
}
filterToggles();
initGovuk();
initMoj();

// Form behaviour without inline JavaScript (the Content-Security-Policy allows scripts from /static and /webjars only):
//   <form data-confirm="Question?">  asks first in a PatternFly modal and submits only on confirmation; the question
//   <form hx-confirm="Question?">    is set as text, never as markup or code, so a name inside it (a VM, a tenant, a
//                                    key) can only ever be shown. data-confirm-action names the confirming button
//                                    ("Revoke"); data-confirm-danger (or a danger submit button) makes it red.
//   posting forms                    show their button busy and refuse a second submission until the answer comes,
//                                    htmx requests alike (power actions take up to 30 s).
//   <select data-autosubmit>         submits its form when the choice changes (the tenant switcher).
//   <div data-shown-for="kind=DOCKER"> shown only while the form's field "kind" has the value DOCKER (the host form
//                                    hides Docker-only fields for a KVM host).
//   <button aria-haspopup="menu"     opens and closes the PatternFly menu it controls (the kebab): Escape, a click
//           aria-controls="id">      outside or choosing an item closes it. A part that refreshes itself (htmx
//                                    polling) waits while a menu or a confirmation in it is open.
(function () {
  'use strict';

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) { e.className = className; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // One modal at a time; Escape, Cancel and the backdrop outside the box all cancel.
  function ask(question, options, onConfirm) {
    var opener = document.activeElement;
    var backdrop = el('div', 'pf-v5-c-backdrop');
    backdrop.id = 'confirm-dialog';
    var bullseye = el('div', 'pf-v5-l-bullseye');
    var box = el('div', 'pf-v5-c-modal-box pf-m-sm' + (options.danger ? ' pf-m-danger' : ''));
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'confirm-dialog-title');
    box.setAttribute('aria-describedby', 'confirm-dialog-body');
    var header = el('header', 'pf-v5-c-modal-box__header');
    var title = el('h1', 'pf-v5-c-modal-box__title', options.danger ? 'Please confirm: this cannot be undone' : 'Please confirm');
    title.id = 'confirm-dialog-title';
    header.appendChild(title);
    var body = el('div', 'pf-v5-c-modal-box__body', question);
    body.id = 'confirm-dialog-body';
    var footer = el('footer', 'pf-v5-c-modal-box__footer');
    var ok = el('button', 'pf-v5-c-button ' + (options.danger ? 'pf-m-danger' : 'pf-m-primary'), options.action || 'Confirm');
    ok.type = 'button';
    ok.id = 'confirm-dialog-ok';
    var cancel = el('button', 'pf-v5-c-button pf-m-link', 'Cancel');
    cancel.type = 'button';
    cancel.id = 'confirm-dialog-cancel';
    footer.appendChild(ok);
    footer.appendChild(cancel);
    box.appendChild(header);
    box.appendChild(body);
    box.appendChild(footer);
    bullseye.appendChild(box);
    backdrop.appendChild(bullseye);

    function close() {
      document.removeEventListener('keydown', onKey, true);
      backdrop.remove();
      if (opener && opener.focus) { opener.focus(); }
    }
    function onKey(event) {
      if (event.key === 'Escape') { event.preventDefault(); close(); }
      if (event.key === 'Tab') { // keep focus inside the dialog
        event.preventDefault();
        (document.activeElement === ok ? cancel : ok).focus();
      }
    }
    ok.addEventListener('click', function () { close(); closeMenus(null); onConfirm(); });
    cancel.addEventListener('click', close);
    backdrop.addEventListener('click', function (event) { if (event.target === backdrop || event.target === bullseye) { close(); } });
    document.addEventListener('keydown', onKey, true);
    document.body.appendChild(backdrop);
    ok.focus();
  }

  function optionsOf(form, submitter) {
    var button = submitter || (form && form.querySelector('button[type=submit], button:not([type])'));
    return {
      danger: !!(form && form.hasAttribute('data-confirm-danger')) || !!(button && button.classList.contains('pf-m-danger')),
      action: (form && form.getAttribute('data-confirm-action')) || (button && button.textContent.trim()) || 'Confirm'
    };
  }

  // PatternFly's progress button: a spinner in the button, which stays unclickable until the answer comes.
  function busy(form, button) {
    form.setAttribute('data-busy', '');
    form.setAttribute('aria-busy', 'true');
    if (!button) { return; }
    button.classList.add('pf-m-progress', 'pf-m-in-progress', 'pf-m-aria-disabled');
    button.setAttribute('aria-disabled', 'true');
    var progress = el('span', 'pf-v5-c-button__progress');
    var svg = 'http://www.w3.org/2000/svg';
    var spinner = document.createElementNS(svg, 'svg');
    spinner.setAttribute('class', 'pf-v5-c-spinner pf-m-md');
    spinner.setAttribute('role', 'progressbar');
    spinner.setAttribute('viewBox', '0 0 100 100');
    spinner.setAttribute('aria-valuetext', 'Working…');
    var path = document.createElementNS(svg, 'circle');
    path.setAttribute('class', 'pf-v5-c-spinner__path');
    path.setAttribute('cx', '50');
    path.setAttribute('cy', '50');
    path.setAttribute('r', '45');
    path.setAttribute('fill', 'none');
    spinner.appendChild(path);
    progress.appendChild(spinner);
    button.insertBefore(progress, button.firstChild);
  }

  function idle(form) {
    form.removeAttribute('data-busy');
    form.removeAttribute('aria-busy');
    form.querySelectorAll('.pf-m-in-progress').forEach(function (button) {
      button.classList.remove('pf-m-progress', 'pf-m-in-progress', 'pf-m-aria-disabled');
      button.removeAttribute('aria-disabled');
      var progress = button.querySelector('.pf-v5-c-button__progress');
      if (progress) { progress.remove(); }
    });
  }

  function posts(form) {
    return (form.getAttribute('method') || 'get').toLowerCase() === 'post';
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    if (form.hasAttribute('data-busy')) { // the first submission is still on its way
      event.preventDefault();
      return;
    }
    var question = form.getAttribute('data-confirm');
    if (question !== null && !form.hasAttribute('data-confirmed')) {
      event.preventDefault();
      var submitter = event.submitter;
      ask(question, optionsOf(form, submitter), function () {
        form.setAttribute('data-confirmed', '');
        form.requestSubmit(submitter || undefined);
      });
      return;
    }
    form.removeAttribute('data-confirmed');
    if (!event.defaultPrevented && posts(form) && !form.hasAttribute('hx-post')) {
      busy(form, event.submitter);
    }
  });

  // htmx asks through this event before every request with hx-confirm: answer with the modal, not the browser's dialog.
  document.addEventListener('htmx:confirm', function (event) {
    if (!event.detail.question) { return; }
    event.preventDefault();
    var form = event.detail.elt.closest('form');
    ask(event.detail.question, optionsOf(form, null), function () { event.detail.issueRequest(true); });
  });

  function closeMenus(except) {
    document.querySelectorAll('[aria-haspopup=menu][aria-expanded=true]').forEach(function (toggle) {
      if (toggle === except) { return; }
      toggle.setAttribute('aria-expanded', 'false');
      var menu = document.getElementById(toggle.getAttribute('aria-controls'));
      if (menu) { menu.hidden = true; }
    });
  }

  document.addEventListener('click', function (event) {
    var toggle = event.target.closest && event.target.closest('[aria-haspopup=menu][aria-controls]');
    if (toggle) {
      var menu = document.getElementById(toggle.getAttribute('aria-controls'));
      var open = toggle.getAttribute('aria-expanded') !== 'true';
      closeMenus(toggle);
      toggle.setAttribute('aria-expanded', open ? 'true' : 'false');
      if (menu) {
        menu.hidden = !open;
        var first = open && menu.querySelector('[role=menuitem]:not(:disabled)');
        if (first) { first.focus(); }
      }
      return;
    }
    var item = event.target.closest && event.target.closest('[role=menuitem]');
    if (!item) { closeMenus(null); }
  });

  document.addEventListener('keydown', function (event) {
    if (event.key !== 'Escape') { return; }
    var open = document.querySelector('[aria-haspopup=menu][aria-expanded=true]');
    if (open) { closeMenus(null); open.focus(); }
  });

  // A polling refresh would replace an open menu, or the form a confirmation is about: it waits for the next turn.
  function somethingOpenIn(elt) {
    if (document.getElementById('confirm-dialog')) { return true; }
    var open = document.querySelector('[aria-haspopup=menu][aria-expanded=true]');
    return !!(open && (elt.contains(open) || elt.id === 'machines-poll' || elt.hasAttribute('hx-select-oob')));
  }

  document.addEventListener('htmx:beforeRequest', function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent;
    if (event.detail.requestConfig && event.detail.requestConfig.verb === 'get' && !(trigger && trigger.type === 'click')
        && somethingOpenIn(event.detail.elt)) {
      event.preventDefault();
      return;
    }
    var form = event.detail.elt.closest('form');
    if (!form || !posts(form)) { return; }
    if (form.hasAttribute('data-busy')) { event.preventDefault(); return; }
    busy(form, form.querySelector('button[type=submit], button:not([type])'));
  });

  document.addEventListener('htmx:afterRequest', function (event) {
    var form = event.detail.elt.closest('form');
    if (form) { idle(form); }
  });

  // Back to a page from the browser's cache: its forms were left busy by the submission that navigated away.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) { document.querySelectorAll('form[data-busy]').forEach(idle); }
  });

  function followChoices(form) {
    form.querySelectorAll('[data-shown-for]').forEach(function (part) {
      var rule = part.getAttribute('data-shown-for').split('=');
      var field = form.elements.namedItem(rule[0]);
      if (field) { part.hidden = field.value !== rule[1]; }
    });
  }

  document.addEventListener('change', function (event) {
    var field = event.target;
    if (field.form && field.form.querySelector('[data-shown-for]')) { followChoices(field.form); }
    if (field instanceof HTMLSelectElement && field.hasAttribute('data-autosubmit') && field.form) {
      field.form.requestSubmit();
    }
  });
}());

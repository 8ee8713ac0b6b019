// Form behaviour without inline JavaScript (the Content-Security-Policy allows scripts from /static and /webjars only):
//   <form data-confirm="Question?">  asks first and submits only on OK; the question is read as text, never as code,
//                                    so a name inside it (a VM, a tenant, a key) can only ever be shown.
//   <select data-autosubmit>         submits its form when the choice changes (the tenant switcher).
document.addEventListener('submit', function (event) {
  var form = event.target;
  var question = form instanceof HTMLFormElement ? form.getAttribute('data-confirm') : null;
  if (question !== null && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener('change', function (event) {
  var field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute('data-autosubmit') && field.form) {
    field.form.requestSubmit();
  }
});

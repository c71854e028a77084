/* Sijil — the clerk desk and the printable acknowledgement.
 *
 * - Ctrl+Enter (or Cmd+Enter) registers the letter from any field, the notes
 *   included; Enter in a one-line field already submits the form.
 * - A registration is sent once: the button is disabled while it is sent.
 * - The "Print" button of the acknowledgement (hidden without JavaScript,
 *   where the browser's own print command does the same).
 * No inline handlers: the page's CSP allows only this file.
 */
(function () {
  'use strict';

  var form = document.getElementById('register-form');
  if (form) {
    var button = document.getElementById('register-submit');
    var label = button ? button.textContent : '';
    var sending = false;

    form.addEventListener('submit', function (event) {
      if (sending) {
        event.preventDefault();
        return;
      }
      sending = true;
      if (button) {
        var busy = button.getAttribute('data-busy');
        if (busy) {
          button.textContent = busy;
        }
        // Disabled after the submission has started, so that it is not cancelled.
        window.setTimeout(function () {
          button.disabled = true;
        }, 0);
      }
    });

    // Back from the acknowledgement: the form is usable again.
    window.addEventListener('pageshow', function (event) {
      if (event.persisted && button) {
        sending = false;
        button.disabled = false;
        button.textContent = label;
      }
    });

    document.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && !event.altKey) {
        event.preventDefault();
        if (typeof form.requestSubmit === 'function') {
          form.requestSubmit(button || undefined);
        } else if (form.reportValidity()) {
          form.submit();
        }
      }
    });
  }

  var print = document.getElementById('print-button');
  if (print) {
    print.hidden = false;
    print.addEventListener('click', function () {
      window.print();
    });
  }
})();

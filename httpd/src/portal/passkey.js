// Passkeys in the Wicket portal: shows the passkey form of the page (hidden without
// script), runs navigator.credentials.create/get with the options in its data- attributes,
// puts the result in its hidden inputs as base64url and submits it. No other script, no
// other origin.
(function () {
  'use strict';
  var form = document.getElementById('passkey-form');
  if (!form || !window.PublicKeyCredential || !navigator.credentials) return;
  var error = document.getElementById('passkey-error');

  function toB64u(buf) {
    var bytes = new Uint8Array(buf), s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function fromB64u(text) {
    var s = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function credentials(type) {
    var list = form.dataset.credentials || '';
    return list ? list.split(',').map(function (id) { return { type: 'public-key', id: fromB64u(id) }; }) : [];
  }
  function set(name, value) {
    form.elements[name].value = value;
  }

  form.hidden = false;
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    error.textContent = '';
    var d = form.dataset;
    var done;
    if (d.mode === 'create') {
      done = navigator.credentials.create({
        publicKey: {
          rp: { id: d.rpId, name: d.rpName },
          user: { id: fromB64u(d.userId), name: d.userName, displayName: d.displayName || d.userName },
          challenge: fromB64u(d.challenge),
          pubKeyCredParams: [{ type: 'public-key', alg: -7 }, { type: 'public-key', alg: -8 },
            { type: 'public-key', alg: -257 }],
          excludeCredentials: credentials(),
          authenticatorSelection: { residentKey: 'preferred', userVerification: d.uv },
          attestation: 'none',
          timeout: 120000,
        },
      }).then(function (c) {
        set('credential_id', toB64u(c.rawId));
        set('client_data', toB64u(c.response.clientDataJSON));
        set('attestation_object', toB64u(c.response.attestationObject));
      });
    } else {
      done = navigator.credentials.get({
        publicKey: {
          rpId: d.rpId,
          challenge: fromB64u(d.challenge),
          allowCredentials: credentials(),
          userVerification: d.uv,
          timeout: 120000,
        },
      }).then(function (c) {
        set('credential_id', toB64u(c.rawId));
        set('client_data', toB64u(c.response.clientDataJSON));
        set('authenticator_data', toB64u(c.response.authenticatorData));
        set('signature', toB64u(c.response.signature));
      });
    }
    done.then(function () { form.submit(); }, function (e) {
      error.textContent = 'The passkey was not used (' + (e && e.name ? e.name : 'error') + '). Try again.';
    });
  });
})();

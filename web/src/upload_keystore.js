// The factory's keystore (the encrypted JSON `zcl key new` writes: eth-account's v3 format, scrypt)
// decrypted in this page with ethers. The file and its password are read here and go nowhere: no
// request carries them, nothing stores them, and the wallet is dropped once the batch is signed.

import { Wallet, getAddress, isKeystoreJson } from 'ethers';

import { UploadError, t } from './upload_text.js';

/** The keystore's declared address (checksummed), or an UploadError if the text is not a keystore. */
export function keystoreAddress(text) {
  if (!isKeystoreJson(text)) throw new UploadError(t('not_a_keystore'), 'keystore');
  const { address } = JSON.parse(text);
  try {
    return getAddress(address.startsWith('0x') ? address : `0x${address}`);
  } catch {
    throw new UploadError(t('not_a_keystore'), 'keystore');
  }
}

/**
 * Decrypt `text` with `password` (seconds: scrypt is slow on purpose); `onProgress(0..1)`.
 * Refuses a keystore that is not the factory's registered signer before spending the time.
 */
export async function decryptKeystore(text, password, signer, onProgress) {
  const address = keystoreAddress(text);
  if (signer && address.toLowerCase() !== signer.toLowerCase()) {
    throw new UploadError(t('wrong_signer', { address, signer }), 'keystore');
  }
  let wallet;
  try {
    wallet = await Wallet.fromEncryptedJson(text, password, onProgress);
  } catch (error) {
    const wrong = /password/i.test(String(error && error.message));
    throw new UploadError(t(wrong ? 'wrong_password' : 'not_a_keystore'), wrong ? 'password' : 'keystore');
  }
  if (signer && wallet.address.toLowerCase() !== signer.toLowerCase()) {
    throw new UploadError(t('wrong_signer', { address: wallet.address, signer }), 'keystore');
  }
  return wallet;
}

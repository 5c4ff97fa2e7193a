import CPNet
